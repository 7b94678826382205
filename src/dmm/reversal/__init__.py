"""The backward process, built generically from forward blocks and score coordinates."""

from .base import Reversal
from .diffusion import backward_drift, flow_velocity

__all__ = ["Reversal", "backward_drift", "flow_velocity"]
