"""Means of metric results over several sample draws, and their spread."""

from __future__ import annotations

import math

import pytest

from dmm.metrics import draw_spread, mean_over_draws


def test_floats_are_averaged_leaf_by_leaf_and_the_rest_is_the_first_draws():
    a = {"auc": 0.5, "n": 10, "name": "x", "nested": {"w1": 1.0}, "matrix": [[1.0, 2.0]]}
    b = {"auc": 0.7, "n": 12, "name": "y", "nested": {"w1": 2.0}, "matrix": [[3.0, 6.0]]}
    out = mean_over_draws([a, b])
    assert out == {"auc": 0.6, "n": 10, "name": "x", "nested": {"w1": 1.5}, "matrix": [[2.0, 4.0]]}
    assert list(out) == list(a)  # the first draw's key order (the JSON's order)


def test_a_metric_missing_in_any_draw_is_none():
    assert mean_over_draws([{"auc": 0.5}, {"auc": None}]) == {"auc": None}
    assert mean_over_draws([{"auc": None}, {"auc": 0.5}]) == {"auc": None}
    assert mean_over_draws([{"auc": 0.5, "only_first": 1.0}, {"auc": 0.5}])["only_first"] == 1.0
    with pytest.raises(ValueError, match="at least one draw"):
        mean_over_draws([])


def test_the_spread_is_the_sample_standard_deviation_of_each_float_key():
    draws = [{"auc": 0.5, "bad": None}, {"auc": 0.6, "bad": 0.1}, {"auc": 0.7, "bad": 0.2}]
    assert draw_spread(draws, ["auc", "bad", "absent"]) == {"auc": pytest.approx(0.1)}
    assert draw_spread(draws[:1], ["auc"]) == {}  # one draw has no spread
    assert draw_spread([{"auc": math.nan}, {"auc": 0.5}], ["auc"]) == {}
