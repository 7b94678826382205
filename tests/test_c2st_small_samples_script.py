"""benchmarks/c2st_small_samples.py: the two leaf rules it compares, on one tiny size."""

from __future__ import annotations

from unittest import mock

import dmm.metrics.classifier as classifier
from scripts import load_script


def test_the_fixed_leaf_cannot_split_fifteen_rows_a_side_and_leaf_rows_can():
    bench = load_script("benchmarks", "c2st_small_samples")
    with mock.patch.object(classifier, "leaf_rows", bench.RULES["fixed-20"]):
        assert set(bench.aucs(15, 2, 3.0, 2, 0)) == {0.5}  # every score the same
    with mock.patch.object(classifier, "leaf_rows", bench.RULES["leaf_rows"]):
        assert bench.aucs(15, 2, 3.0, 2, 0).min() > 0.6  # three times wider: seen
