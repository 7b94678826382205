"""benchmarks/impute_oracle.py's exact fill: the mixture's conditional means and classes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scripts import load_script


@pytest.fixture(scope="module")
def bench():
    return load_script("benchmarks", "impute_oracle")


def test_with_the_class_shown_the_fill_is_the_classs_gaussian_regression(bench):
    """Class B shown, ``a`` hidden: the exact fill is linear in ``b, c, d`` with the coefficients
    least squares finds on many rows of class B (200 000 rows: each coefficient's standard error
    is about 0.002, so 0.01 is five of them)."""
    rng = np.random.default_rng(0)
    rows = bench.draw(200_000, rng)
    rows = rows[rows["class"] == "B"].reset_index(drop=True)
    x = np.column_stack([np.ones(len(rows)), rows[["b", "c", "d"]].to_numpy()])
    coef = np.linalg.lstsq(x, rows["a"].to_numpy(), rcond=None)[0]
    probe = pd.DataFrame({"a": [np.nan] * 3, "b": [10.0, 11.0, 9.5], "c": [11.0, 10.0, 12.0],
                          "d": [10.5, 10.5, 9.0], "class": ["B"] * 3})  # fmt: skip
    filled = bench.exact_fill(probe)["a"].to_numpy(float)
    want = np.column_stack([np.ones(3), probe[["b", "c", "d"]].to_numpy()]) @ coef
    np.testing.assert_allclose(filled, want, atol=0.01)


def test_a_hidden_class_is_the_most_probable_one(bench):
    """All numbers shown, the class hidden: the exact fill is the Bayes rule, which linear
    discriminant analysis fitted on 200 000 rows estimates (the classes share one covariance);
    the two agree on at least 99% of 2000 fresh rows (they can differ only next to the
    boundaries, where the estimate's error moves them), and class A, far away, is always
    right."""
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    rng = np.random.default_rng(1)
    big, rows = bench.draw(200_000, rng), bench.draw(2000, rng)
    lda = LinearDiscriminantAnalysis().fit(big[bench.NAMES], big["class"])
    masked = rows.mask(np.array([[False] * 4 + [True]] * len(rows)))
    filled = bench.exact_fill(masked)["class"].to_numpy(object)
    assert (filled == lda.predict(rows[bench.NAMES])).mean() >= 0.99
    assert set(filled[(rows["class"] == "A").to_numpy()]) == {"A"}


def test_nothing_hidden_is_left_as_it_is(bench):
    rows = bench.draw(5, np.random.default_rng(2))
    pd.testing.assert_frame_equal(bench.exact_fill(rows), rows)
