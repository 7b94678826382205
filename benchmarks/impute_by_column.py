"""Where `dmm`'s numeric imputation loses to k-NN: one column hidden at a time, by column and
class, next to a per-class Gaussian fitted to the training rows (iris; ``--table penguins``, a
table with empty cells, too).

    python benchmarks/impute_by_column.py --json docs/results/impute_by_column_iris.json
    python benchmarks/impute_by_column.py --table penguins --joint 3000 --many 50 \
        --json docs/results/impute_by_column_penguins.json

For each split (seeded as ``tabular.py``'s) ``TabularModel()`` is fitted once; then each numeric
column in turn is hidden in every held-out row (the other columns, the class included, shown) and
filled by:

* ``dmm``: the mean of ``--draws`` fillings (and of ``--many`` fillings, to separate the model's
  conditional mean from the Monte Carlo error of averaging ten draws);
* ``knn``: scikit-learn's ``KNNImputer`` (k = 5), as in ``tabular.py``;
* ``gaussian``: the conditional mean under a Gaussian per class fitted to the training rows
  (mean and covariance of each class's rows; the class is shown, so its Gaussian's conditional
  mean given the other numbers). A simple parametric model: how far below k-NN the data let an
  imputer go.

With ``--joint N`` the model also draws ``N`` rows, and a fourth imputer, ``gaussian of dmm's
rows``, is the Gaussian per class fitted to those rows instead of the training rows: what the
model's own joint law says of each hidden cell, read without its conditional sampler. Where it is
as good as the Gaussian of the training rows while the fillings are not, the joint has the
dependence and the conditioning loses it. The script then also prints, per class, the
correlations of the numeric columns in the drawn rows next to the training rows'.

Errors in training-range units (as ``tabular.py``); the RMSE over all cells, by column and by
class; by column, how far each imputer moves a cell away from its class's training mean where
the Gaussian does: the slope of its fill's deviation from that mean against the Gaussian
fill's (1: it follows the shown cells as the Gaussian does; below 1: it is pulled toward the
class mean); and by whole-number column, the RMSE of each fill rounded to a whole number (as
such a cell is written; ``dmm`` rounds its own). Test cells whose true value is empty are
not scored. ``--set KEY=VALUE`` passes ``TabularModel`` settings (e.g.
``hidden=128``). One thread; about a minute and a half per split. ``--summarise FILE`` prints
the tables of a finished run's ``--json`` file without fitting anything.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd
import torch

from dmm.cli.config import writable_file
from dmm.tabular import TabularModel
from tabular import conform, impute_knn, kinds_of, load_table, seed_everything, split_rows


def gaussian_fill(train: pd.DataFrame, masked: pd.DataFrame, target: str, numeric: list[str]):
    """Each row's hidden numbers by its class's Gaussian conditional mean given its shown ones."""
    out = masked.copy()
    fits = {}
    for level, rows in train.groupby(target):
        x = rows[numeric].dropna().to_numpy(float)
        fits[level] = (x.mean(0), np.cov(x.T))
    for i in range(len(masked)):
        x = masked[numeric].iloc[i].to_numpy(float)
        hidden = np.isnan(x)
        if not hidden.any():
            continue
        mean, cov = fits[masked[target].iloc[i]]
        shown = ~hidden
        gain = cov[np.ix_(hidden, shown)] @ np.linalg.inv(cov[np.ix_(shown, shown)])
        fill = mean[hidden] + gain @ (x[shown] - mean[shown])
        for value, name in zip(fill, np.array(numeric)[hidden]):
            out.loc[out.index[i], name] = value
    return out


def correlations(frame: pd.DataFrame, target: str, numeric: list[str]) -> pd.DataFrame:
    """Per class (rows), the correlation of each pair of numeric columns (columns ``a~b``)."""
    pairs = [(a, b) for i, a in enumerate(numeric) for b in numeric[i + 1 :]]
    return pd.DataFrame(
        {
            f"{a}~{b}": frame.groupby(target, observed=True).apply(
                lambda g, a=a, b=b: float(g[a].corr(g[b])), include_groups=False
            )
            for a, b in pairs
        }
    )


def correlation_gap(splits: list[dict]) -> float:
    """The mean, over splits, classes and pairs of columns, of the absolute difference between
    the drawn rows' correlation and the training rows' (``--joint``'s records)."""
    gaps = []
    for split in splits:
        rows = pd.DataFrame(split["rows"]).set_index(["rows", "class"])
        gaps.append((rows.loc["dmm's rows"] - rows.loc["training rows"]).abs().to_numpy().ravel())
    return float(np.mean(np.concatenate(gaps)))


def rmse(errors: pd.Series) -> float:
    return float(np.sqrt(np.mean(errors.to_numpy() ** 2)))


def deviations(cells: pd.DataFrame, frame: pd.DataFrame, target: str) -> pd.DataFrame:
    """``cells`` (this script's rows, in held-out-row order per split, column and imputer) with
    ``deviation``: the fill minus its class's training mean, and ``reference``: the Gaussian
    fill's, both in training-range units. Cells whose true value is empty are not scored."""
    if "row" not in cells:  # files written before rows with an empty true cell were skipped
        cells = cells.assign(row=cells.groupby(["split", "column", "imputer"]).cumcount())
    out = []
    for (s, column), rows in cells.groupby(["split", "column"], sort=False):
        train_idx, test_idx = split_rows(frame[target], int(s), stratify=True)
        train, test = frame.iloc[train_idx], frame.iloc[test_idx]
        span = float(train[column].max() - train[column].min())
        means = test[target].map(train.groupby(target)[column].mean()).to_numpy(float)
        fills = {
            name: test[column].to_numpy(float)[g.row] + g.error.to_numpy() * span
            for name, g in rows.groupby("imputer", sort=False)
        }
        means = means[rows[rows.imputer == "gaussian"].row]
        for name, fill in fills.items():
            part = rows[rows.imputer == name].copy()
            part["deviation"] = (fill - means) / span
            part["reference"] = (fills["gaussian"] - means) / span
            out.append(part)
    return pd.concat(out)


def slopes(cells: pd.DataFrame, frame: pd.DataFrame, target: str) -> pd.DataFrame:
    """By imputer (rows) and column: the least-squares slope of :func:`deviations`'
    ``deviation`` against ``reference``."""
    dev = deviations(cells, frame, target)
    return (
        dev.groupby(["imputer", "column"])
        .apply(lambda g: float(np.polyfit(g.reference, g.deviation, 1)[0]), include_groups=False)
        .unstack()
    )


def rounded(cells: pd.DataFrame, frame: pd.DataFrame, target: str) -> pd.DataFrame:
    """By imputer (rows) and whole-number column (every value of ``frame``'s a whole number):
    the RMSE of each fill rounded to a whole number, as a cell of that column must be written
    (the truth being whole, the rounded error is ``round(error * span) / span``)."""
    whole = [c for c in cells.column.unique() if (frame[c].dropna() % 1 == 0).all()]
    out = []
    for (s, column), rows in cells[cells.column.isin(whole)].groupby(["split", "column"]):
        train_idx, _ = split_rows(frame[target], int(s), stratify=True)
        span = float(frame[column].iloc[train_idx].max() - frame[column].iloc[train_idx].min())
        out.append(rows.assign(error=np.round(rows.error * span) / span))
    if not out:
        return pd.DataFrame()
    return pd.concat(out).groupby(["imputer", "column"]).error.apply(rmse).unstack()


def report(cells: pd.DataFrame, frame: pd.DataFrame, target: str) -> None:
    print(cells.groupby("imputer").error.apply(rmse).round(4).to_string())
    print(cells.groupby(["imputer", "column"]).error.apply(rmse).unstack().round(4).to_string())
    print(cells.groupby(["imputer", "class"]).error.apply(rmse).unstack().round(4).to_string())
    print("slope of each fill's deviation from its class mean against the Gaussian fill's:")
    print(slopes(cells, frame, target).round(2).to_string())
    whole = rounded(cells, frame, target)
    if not whole.empty:
        print("RMSE of the fills of whole-number columns rounded to whole numbers:")
        print(whole.round(4).to_string())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", default="iris")
    ap.add_argument("--splits", type=int, default=3)
    ap.add_argument("--draws", type=int, default=10)
    ap.add_argument("--many", type=int, default=100)
    ap.add_argument(
        "--joint", type=int, default=0, metavar="N", help="draw N rows (module doc); 0: not"
    )
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE")
    ap.add_argument("--json", type=writable_file("--json"))
    ap.add_argument("--summarise", default=None, metavar="FILE", help="a finished run's --json")
    args = ap.parse_args()
    torch.set_num_threads(1)
    settings = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.set)}
    frame, target = load_table(args.table)
    if args.summarise:
        with open(args.summarise) as f:
            run = json.load(f)
        report(pd.DataFrame(run["cells"]), frame, target)
        if run.get("correlations"):
            print(
                f"mean |drawn - training| correlation: {correlation_gap(run['correlations']):.3f}"
            )
        return
    kinds = kinds_of(frame)
    numeric = [c for c in frame.columns if kinds[c] == "numeric"]
    cells, corr = [], []
    for s in range(args.splits):
        train_idx, test_idx = split_rows(frame[target], s, stratify=True)
        train = frame.iloc[train_idx].reset_index(drop=True)
        test = frame.iloc[test_idx].reset_index(drop=True)
        seed_everything(s)
        model = TabularModel(seed=s, **settings).fit(train)
        drawn = model.sample(args.joint, seed=s) if args.joint else None
        if drawn is not None:
            both = pd.concat(
                {
                    "training rows": correlations(train, target, numeric),
                    "dmm's rows": correlations(drawn, target, numeric),
                }
            )
            print(f"split {s}: correlations by class\n{both.round(2).to_string()}")
            corr.append(
                {
                    "split": s,
                    "rows": both.rename_axis(["rows", "class"]).reset_index().to_dict("records"),
                }
            )
        for column in numeric:
            masked = test.copy()
            masked[column] = np.nan
            fills = {
                "knn": impute_knn(train, masked, kinds),
                "gaussian": gaussian_fill(train, masked, target, numeric),
                f"dmm, {args.draws} fillings": model.impute(masked, seed=s, draws=args.draws),
                f"dmm, {args.many} fillings": model.impute(masked, seed=s, draws=args.many),
            }
            if drawn is not None:
                fills["gaussian of dmm's rows"] = gaussian_fill(drawn, masked, target, numeric)
            span = float(train[column].max() - train[column].min())
            for name, filled in fills.items():
                got = conform(filled, test, kinds)[column].to_numpy(float)
                errors = (got - test[column].to_numpy(float)) / span
                for row, (error, level) in enumerate(zip(errors, test[target])):
                    if np.isfinite(error):
                        cells.append(
                            {"split": s, "column": column, "class": level, "imputer": name}
                            | {"row": row, "error": float(error)}
                        )
        done = pd.DataFrame(cells)
        print(
            f"split {s}:",
            done[done.split == s].groupby("imputer").error.apply(rmse).round(4).to_dict(),
        )
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            with open(args.json, "w") as f:
                json.dump({"settings": settings, "cells": cells, "correlations": corr}, f)
    report(pd.DataFrame(cells), frame, target)


if __name__ == "__main__":
    main()
