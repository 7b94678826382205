"""benchmarks/impute_by_column.py: its per-class Gaussian fill, on rows it must fill exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd

from scripts import load_script


def test_the_gaussian_fill_is_each_classs_conditional_mean():
    bench = load_script("benchmarks", "impute_by_column")
    rng = np.random.default_rng(0)
    u = rng.normal(size=200)
    cls = np.where(np.arange(200) % 2 == 0, "A", "B")
    # within each class b is an exact linear function of a: the conditional mean is that line
    frame = pd.DataFrame({"a": u, "b": np.where(cls == "A", 2 * u + 1, -u), "k": cls})
    masked = frame.iloc[:6].copy()
    masked["b"] = np.nan
    filled = bench.gaussian_fill(frame, masked, "k", ["a", "b"])
    np.testing.assert_allclose(filled["b"], frame["b"].iloc[:6], atol=1e-8)
    assert filled["a"].equals(masked["a"])  # shown cells untouched
