"""benchmarks/c2st_null.py: one row of its table at a tiny size."""

from __future__ import annotations

import pytest

from dmm.metrics import c2st_null_sd
from scripts import load_script


def test_a_row_reports_the_three_spreads():
    bench = load_script("benchmarks", "c2st_null")
    row = bench.measure(n=40, d=2, max_iter=10, replicates=4, estimates=2, permutations=3)
    assert row["mann_whitney_sd"] == c2st_null_sd(40)
    assert row["ratio_to_mann_whitney"] == pytest.approx(row["independent_sd"] / c2st_null_sd(40))
    assert row["independent_sd"] > 0 and row["permutation_sd_mean"] > 0
    assert (row["replicates"], row["estimates"], row["permutations"]) == (4, 2, 3)
    # the pairs are seeded: the same row twice
    again = bench.measure(n=40, d=2, max_iter=10, replicates=4, estimates=2, permutations=3)
    assert again["independent_sd"] == row["independent_sd"]
