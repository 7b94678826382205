"""Discrete data sets: scikit-learn's 8×8 digits (17 grey levels) and tiny exact laws for chains.

``digits``: the 1797 images of ``sklearn.datasets.load_digits`` as ``(n, 64)`` integers in
``0..16``, with a fixed train/test split (1497 / 300, by a permutation with seed 0). The registered
samplers draw rows of the training split (``digits``) or of the test split (``digits-test``).

``tiny-chain``: a fixed law on ``{0..3}^2`` with full support, known exactly
(:func:`tiny_chain_pmf`),
for end-to-end checks against the exact oracles of :mod:`dmm.metrics.chain_oracle`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from torch import Tensor

from dmm.data.errors import DataError
from dmm.data.registry import DatasetInfo, register_dataset
from dmm.spaces import Discrete

DIGITS_LEVELS = 17
DIGITS_TEST_SIZE = 300
TINY_D, TINY_S = 2, 4

__all__ = ["DIGITS_LEVELS", "digits", "digits_split", "digits_test", "tiny_chain", "tiny_chain_pmf"]


@lru_cache(maxsize=1)
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits  # bundled with scikit-learn: no download
    except ImportError:
        raise DataError(
            "the digits images ship with scikit-learn: "
            "pip install 'denoising-markov-models[metrics]'"
        ) from None
    bunch = load_digits()
    return bunch.data.astype(np.int64), bunch.target.astype(np.int64)


def digits_split() -> dict[str, Tensor]:
    """``{"x_train", "y_train", "x_test", "y_test"}``: images ``(n, 64)`` in ``0..16`` and
    labels."""
    x, y = _digits_arrays()
    perm = np.random.RandomState(0).permutation(len(x))
    test, train = perm[:DIGITS_TEST_SIZE], perm[DIGITS_TEST_SIZE:]
    return {
        "x_train": torch.from_numpy(x[train]),
        "y_train": torch.from_numpy(y[train]),
        "x_test": torch.from_numpy(x[test]),
        "y_test": torch.from_numpy(y[test]),
    }


def _draw(x: Tensor, n: int, generator: torch.Generator) -> Tensor:
    if n < 0:
        raise ValueError(f"number of samples must be non-negative, got {n}")
    if n <= len(x):
        return x[torch.randperm(len(x), generator=generator)[:n]]
    return x[torch.randint(len(x), (n,), generator=generator)]


def digits(n: int, generator: torch.Generator) -> Tensor:
    """``n`` training images (without replacement up to 1497, then with replacement), ``(n, 64)``
    long."""
    return _draw(digits_split()["x_train"], n, generator)


def digits_test(n: int, generator: torch.Generator) -> Tensor:
    """``n`` test images (without replacement up to 300, then with replacement)."""
    return _draw(digits_split()["x_test"], n, generator)


def tiny_chain_pmf() -> Tensor:
    """The law of ``tiny-chain``: a fixed full-support pmf on ``{0..3}^2`` (16 states,
    lexicographic), correlated between the two coordinates, float64."""
    a = torch.arange(TINY_S, dtype=torch.float64)
    logits = -0.8 * (a[:, None] - a[None, :]) ** 2 + 0.5 * a[:, None] - 0.3 * a[None, :]
    p = torch.exp(logits).flatten()
    return p / p.sum()


def tiny_chain(n: int, generator: torch.Generator) -> Tensor:
    """``n`` exact draws of :func:`tiny_chain_pmf`, ``(n, 2)`` long."""
    k = torch.multinomial(tiny_chain_pmf(), n, replacement=True, generator=generator)
    return torch.stack([k // TINY_S, k % TINY_S], 1)


_DIGITS_SPACE = Discrete(64, DIGITS_LEVELS)
register_dataset(
    "digits",
    digits,
    DatasetInfo(
        _DIGITS_SPACE,
        "8x8 handwritten digits, 17 grey levels (1497 training images; needs the metrics extra)",
        torch.int64,
        held_out="digits-test",
    ),
)
register_dataset(
    "digits-test",
    digits_test,
    DatasetInfo(
        _DIGITS_SPACE,
        "the 300 held-out test images of digits (needs the metrics extra)",
        torch.int64,
        rows=DIGITS_TEST_SIZE,
    ),
)
register_dataset(
    "tiny-chain",
    tiny_chain,
    DatasetInfo(
        Discrete(TINY_D, TINY_S), "a known correlated law on 16 states (exact oracles)", torch.int64
    ),
)
