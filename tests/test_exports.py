"""Every name a package exports resolves."""

import importlib

import pytest

PACKAGES = [
    "dmm",
    "dmm.spaces",
    "dmm.processes",
    "dmm.scores",
    "dmm.losses",
    "dmm.samplers",
    "dmm.networks",
    "dmm.reversal",
    "dmm.testing",
    "dmm.data",
    "dmm.metrics",
    "dmm.demo",
    "dmm.recipe",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_resolve(name):
    module = importlib.import_module(name)
    assert module.__all__, f"{name} has an empty __all__"
    for attr in module.__all__:
        assert getattr(module, attr) is not None, f"{name}.{attr}"


#: names README.md's tour and docs/extending.md place in a package (they lived only in its
#: modules: ``from dmm.spaces import SO3`` failed)
DOCUMENTED = {
    "dmm.spaces": ["Euclidean", "PositiveOrthant", "Torus", "Discrete", "SO3", "Product"],
    "dmm.scores": ["ProductModel", "FactorView", "TrunkRatio", "TailPotentialRatio"],
    "dmm.processes": ["SO3Brownian", "TorusBrownian", "Haar", "SDE", "product"],
    "dmm.losses": ["ProductLoss"],
    "dmm.samplers": ["ProductSampler"],
}


@pytest.mark.parametrize("name", DOCUMENTED)
def test_the_documented_names_are_exported(name):
    module = importlib.import_module(name)
    assert set(DOCUMENTED[name]) <= set(module.__all__)


def test_the_package_docstring_example_runs():
    import doctest

    import torch

    import dmm

    with torch.random.fork_rng():
        torch.manual_seed(0)  # the network's initial weights
        result = doctest.testmod(dmm, verbose=False)
    assert result.attempted >= 5 and result.failed == 0
