"""State spaces: shapes, support checks and geometry."""

from .base import Space, SupportError
from .discrete import Discrete
from .euclidean import Euclidean
from .positive import PositiveOrthant
from .torus import Torus, wrap

__all__ = ["Discrete", "Euclidean", "PositiveOrthant", "Space", "SupportError", "Torus", "wrap"]
