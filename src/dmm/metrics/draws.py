"""Metrics of several sample draws from one model: their mean, and how much one draw moves them.

With few reference rows one draw of samples decides a metric as much as the model does. Against
wine's 54 held-out rows, ten draws of each of 40 trained models moved the C2ST AUC with standard
deviations of 0.04-0.10, and the classifier's fold assignment alone, on fixed rows, by 0.04-0.05;
a paired comparison of two processes over ten splits that read +0.046 ± 0.022 from one draw each
read +0.006 ± 0.006 from ten (``benchmarks/c2st_draw_spread.py``, docs/studies/positive.md).
``dmm eval --draws R`` reports the mean over ``R`` draws (each with its own sampling seed and classifier folds) and the
draws' standard deviation: the mean no longer hangs on one draw, while the reference rows, the
same in every draw, still carry their own share of the spread (``c2st_null_sd``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def mean_over_draws(results: Sequence[Any]) -> Any:
    """The draw-by-draw mean of metric results of the same shape: floats are averaged (``None``
    where any draw has none, e.g. a metric that could not be computed), dicts and equal-length
    lists leaf by leaf; everything else (counts, names, flags) is the first draw's."""
    if not results:
        raise ValueError("mean_over_draws needs at least one draw")
    first = results[0]
    if isinstance(first, Mapping):
        return {
            key: mean_over_draws([r[key] for r in results])
            if all(isinstance(r, Mapping) and key in r for r in results)
            else value
            for key, value in first.items()
        }
    if isinstance(first, (list, tuple)) and all(
        isinstance(r, (list, tuple)) and len(r) == len(first) for r in results
    ):
        return [mean_over_draws([r[i] for r in results]) for i in range(len(first))]
    if isinstance(first, float) or (first is None and any(isinstance(r, float) for r in results)):
        if any(r is None for r in results):
            return None
        return math.fsum(results) / len(results)
    return first


def draw_spread(results: Sequence[Mapping[str, Any]], keys: Iterable[str]) -> dict[str, float]:
    """The standard deviation over the draws (``ddof = 1``) of each of ``keys`` that is a float in
    every draw; empty for a single draw."""
    out = {}
    if len(results) < 2:
        return out
    for key in keys:
        values = [r.get(key) for r in results]
        if all(isinstance(v, float) and math.isfinite(v) for v in values):
            mean = math.fsum(values) / len(values)
            out[key] = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1))
    return out


__all__ = ["draw_spread", "mean_over_draws"]
