"""Data: built-in toy distributions, user data files, and the name-or-path resolver."""

from dmm.data.digits import digits, digits_split, digits_test, tiny_chain, tiny_chain_pmf
from dmm.data.errors import DataError
from dmm.data.files import check_shape, load_array
from dmm.data.orthant import export_sklearn, orthant_gmm_2d, orthant_gmm_10d
from dmm.data.registry import BUILTIN_DATASETS, Sampler, load_data, register_dataset
from dmm.data.toy2d import checkerboard, circles, eight_gaussians, moons, pinwheel, swissroll

__all__ = [
    "digits",
    "digits_split",
    "digits_test",
    "tiny_chain",
    "tiny_chain_pmf",
    "BUILTIN_DATASETS",
    "DataError",
    "Sampler",
    "check_shape",
    "checkerboard",
    "circles",
    "eight_gaussians",
    "export_sklearn",
    "load_array",
    "load_data",
    "moons",
    "orthant_gmm_10d",
    "orthant_gmm_2d",
    "pinwheel",
    "register_dataset",
    "swissroll",
]
from dmm.data import (
    heavy_tails,  # noqa: E402,F401  (registers heavy-tailed and torus sets)
    so3,  # noqa: E402,F401  (registers so3-mixture-16/64, torus-vonmises)
)
