"""Discrete data sets: digits split and tiny-chain law."""

import sys

import pytest
import torch

from dmm.data import BUILTIN_DATASETS, load_data
from dmm.data.digits import digits_split, tiny_chain, tiny_chain_pmf


def test_digits_split_is_fixed_and_disjoint():
    a, b = digits_split(), digits_split()
    assert a["x_train"].shape == (1497, 64) and a["x_test"].shape == (300, 64)
    assert torch.equal(a["x_test"], b["x_test"]) and torch.equal(a["y_train"], b["y_train"])
    assert a["x_train"].dtype == torch.long and 0 <= a["x_train"].min() and a["x_train"].max() == 16
    assert set(a["y_test"].tolist()) == set(range(10))
    # no test image appears in the training split (rows compared exactly; load_digits has duplicates
    # in principle, so count them instead of assuming zero)
    train = {tuple(r) for r in a["x_train"].tolist()}
    assert sum(tuple(r) in train for r in a["x_test"].tolist()) <= 3


def test_registered_samplers():
    assert {"digits", "digits-test", "tiny-chain"} <= set(BUILTIN_DATASETS)
    x = load_data("digits", 100, torch.Generator().manual_seed(0))
    assert x.shape == (100, 64)
    assert len({tuple(r) for r in x.tolist()}) >= 95  # drawn without replacement


def test_tiny_chain_frequencies():
    # 40000 draws against the exact pmf: max abs frequency error < 5 standard errors
    x = tiny_chain(40000, torch.Generator().manual_seed(1))
    freq = torch.bincount(x[:, 0] * 4 + x[:, 1], minlength=16).double() / 40000
    p = tiny_chain_pmf()
    assert ((freq - p).abs() < 5 * (p * (1 - p) / 40000).sqrt() + 1e-4).all()


def test_without_scikit_learn_the_images_are_one_line_naming_the_extra(monkeypatch):
    """A plain install without the metrics extra failed with ModuleNotFoundError (exit 1)."""
    from dmm.data import DataError

    module = sys.modules["dmm.data.digits"]  # dmm.data.digits is also the function

    module._digits_arrays.cache_clear()
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # import raises ImportError
    try:
        with pytest.raises(DataError, match=r"scikit-learn.*\[metrics\]"):
            module.digits(4, torch.Generator().manual_seed(0))
    finally:
        module._digits_arrays.cache_clear()
