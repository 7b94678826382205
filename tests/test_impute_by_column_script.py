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


def test_the_slope_reads_how_far_a_fill_follows_the_gaussian():
    """A fill pulled halfway to its class's training mean has slope 0.5, the Gaussian's own 1."""
    bench = load_script("benchmarks", "impute_by_column")
    frame, target = bench.load_table("iris")
    numeric = [c for c in frame.columns if c != target]
    train_idx, test_idx = bench.split_rows(frame[target], 0, stratify=True)
    train = frame.iloc[train_idx].reset_index(drop=True)
    test = frame.iloc[test_idx].reset_index(drop=True)
    cells = []
    for column in numeric[:2]:
        masked = test.copy()
        masked[column] = np.nan
        gauss = bench.gaussian_fill(train, masked, target, numeric)[column].to_numpy(float)
        means = test[target].map(train.groupby(target)[column].mean()).to_numpy(float)
        span = float(train[column].max() - train[column].min())
        truth = test[column].to_numpy(float)
        for name, fill in (("gaussian", gauss), ("half", means + 0.5 * (gauss - means))):
            for error, level in zip((fill - truth) / span, test[target]):
                cells.append({"split": 0, "column": column, "class": level, "imputer": name,
                              "error": float(error)})  # fmt: skip
    slopes = bench.slopes(pd.DataFrame(cells), frame, target)
    np.testing.assert_allclose(slopes.loc["gaussian"], 1.0, atol=1e-9)
    np.testing.assert_allclose(slopes.loc["half"], 0.5, atol=1e-9)
