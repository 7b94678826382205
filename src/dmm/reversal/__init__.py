"""The backward process, built generically from forward blocks and score coordinates."""

from .base import Reversal
from .chains import backward_generator_apply, backward_rates, chain_ratios
from .diffusion import backward_drift, flow_velocity
from .jumps import backward_intensity, propose

__all__ = [
    "backward_intensity",
    "propose",
    "backward_generator_apply",
    "backward_rates",
    "chain_ratios",
    "Reversal",
    "backward_drift",
    "flow_velocity",
]
