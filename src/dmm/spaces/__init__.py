"""State spaces: shapes, support checks and geometry."""

from .base import Space, SupportError
from .discrete import Discrete
from .euclidean import Euclidean
from .positive import PositiveOrthant
from .product import Product
from .so3 import SO3
from .torus import Torus, wrap

__all__ = [
    "Discrete",
    "Euclidean",
    "PositiveOrthant",
    "Product",
    "SO3",
    "Space",
    "SupportError",
    "Torus",
    "wrap",
]
