"""Product spaces: which flattened coordinates are integers (files write those as integers)."""

from dmm.spaces import Discrete, Euclidean, Torus
from dmm.spaces.product import Product


def test_integer_coordinates_are_the_discrete_factors_columns():
    assert Discrete(3, 5).integer_coordinates == (True, True, True)
    assert Euclidean(2).integer_coordinates == (False, False)
    space = Product(Euclidean(2), Discrete(1, 5), Torus(1), Discrete(2, 3, mask=True))
    assert space.integer_coordinates == (False, False, True, False, True, True)
