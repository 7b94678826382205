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
