"""Discrete data sets: digits split and tiny-chain law."""

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
