"""State spaces: shapes, support checks and geometry."""

from .base import Space, SupportError
from .euclidean import Euclidean

__all__ = ["Euclidean", "Space", "SupportError"]
