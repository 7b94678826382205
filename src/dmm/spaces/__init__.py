"""State spaces: shapes, support checks and geometry."""

from .base import Space, SupportError
from .discrete import Discrete
from .euclidean import Euclidean
from .positive import PositiveOrthant
from .product import Product
from .torus import Torus, wrap

__all__ = [
    "Discrete",
    "Euclidean",
    "PositiveOrthant",
    "Product",
    "Space",
    "SupportError",
    "Torus",
    "wrap",
]
