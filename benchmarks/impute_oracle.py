"""Filling cells against the exact answer: a Gaussian mixture whose conditional laws are known.

    python benchmarks/impute_oracle.py --rows 120 2000 --seeds 0 1 2 --json docs/results/impute_oracle.json

An iris-like table: three classes (a categorical column) of four correlated real columns, one class
far from the two others, which overlap; within a class every pair of columns has correlation 0.7
(``MEANS``, ``COVARIANCE``). For each seed, ``--rows`` training rows and 400 fresh test rows are
drawn, 20% of the test cells hidden (as ``tabular.py`` hides them), and each imputer fills them:

* ``exact``: the conditional mean of each hidden number given the row's shown cells (the mixture's
  closed form: each class's Gaussian conditional, weighted by the class's posterior given the
  shown cells), and the most probable class. No imputer can do better on average: the RMSE floor;
* ``knn``: scikit-learn's ``KNNImputer`` (k = 5) as in ``tabular.py``; ``mean-mode``;
* ``dmm``: ``TabularModel`` with the four columns declared ``real`` (the law's own type), the mean /
  mode of ``--draws`` fillings.

RMSE in training-range units over the hidden numbers and accuracy over the hidden classes, as in
``tabular.py``. One thread; about 1.5 minutes per fit.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd
import torch

from dmm.cli.config import writable_file
from dmm.tabular import TabularModel
from tabular import conform, imputation_scores, impute_knn, impute_mean_mode, seed_everything

NAMES = ["a", "b", "c", "d"]
CLASSES = ["A", "B", "C"]
#: class means (class A far from B and C, which overlap), shifted by 10 (positive values)
MEANS = np.array([[0.0, 2.0, -3.0, -3.0], [2.5, 0.0, 1.0, 0.5], [3.5, 0.5, 2.0, 1.5]]) + 10.0
#: the within-class covariance: variance 0.5, correlation 0.7 between every pair
COVARIANCE = 0.5 * (0.3 * np.eye(4) + 0.7 * np.ones((4, 4)))
TEST_ROWS = 400


def draw(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` rows of the mixture (equal class weights)."""
    k = rng.integers(0, len(CLASSES), n)
    x = MEANS[k] + rng.multivariate_normal(np.zeros(len(NAMES)), COVARIANCE, size=n)
    frame = pd.DataFrame(x, columns=NAMES)
    frame["class"] = np.array(CLASSES)[k]
    return frame


def exact_fill(masked: pd.DataFrame) -> pd.DataFrame:
    """Every hidden number replaced by its conditional mean given the row's shown cells, every
    hidden class by its most probable value."""
    out = masked.copy()
    for i in range(len(masked)):
        row = masked.loc[i, NAMES].to_numpy(float)
        label = masked.loc[i, "class"]
        shown, hidden = ~np.isnan(row), np.isnan(row)
        log_w, means = np.full(len(CLASSES), -np.inf), []
        for k, name in enumerate(CLASSES):
            mu = MEANS[k]
            sol = np.linalg.solve(COVARIANCE[np.ix_(shown, shown)], row[shown] - mu[shown])
            means.append(mu[hidden] + COVARIANCE[np.ix_(hidden, shown)] @ sol)
            if pd.isna(label) or label == name:
                log_det = np.linalg.slogdet(COVARIANCE[np.ix_(shown, shown)])[1]
                log_w[k] = -0.5 * (row[shown] - mu[shown]) @ sol - 0.5 * log_det
        w = np.exp(log_w - log_w.max())
        w /= w.sum()
        if hidden.any():
            out.loc[i, np.array(NAMES)[hidden]] = sum(wk * m for wk, m in zip(w, means))
        if pd.isna(label):
            out.loc[i, "class"] = CLASSES[int(np.argmax(w))]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rows", type=int, nargs="+", default=[120])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--draws", type=int, default=10)
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--json", type=writable_file("--json"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    kinds = {c: "numeric" for c in NAMES} | {"class": "categorical"}
    rows = []
    for n in args.rows:
        for seed in args.seeds:
            rng = np.random.default_rng(seed)
            train, test = draw(n, rng), draw(TEST_ROWS, rng)
            mask = rng.random(test.shape) < 0.2
            masked = test.mask(mask)
            seed_everything(seed)
            model = TabularModel(steps=args.steps, seed=seed, schema=dict.fromkeys(NAMES, "real"))
            model.fit(train)
            fills = {
                "exact": exact_fill(masked),
                "knn": impute_knn(train, masked, kinds),
                "mean-mode": impute_mean_mode(train, masked, kinds),
                "dmm": model.impute(masked, seed=seed, draws=args.draws),
            }
            for name, filled in fills.items():
                score = imputation_scores(test, conform(filled, test, kinds), mask, train, kinds)
                row = {"rows": n, "seed": seed, "imputer": name}
                row |= {"rmse_scaled": score["rmse_scaled"], "accuracy": score["accuracy"]}
                rows.append(row)
                print(
                    json.dumps(
                        {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}
                    )
                )
            if args.json:
                args.json.parent.mkdir(parents=True, exist_ok=True)
                with open(args.json, "w") as f:
                    json.dump(rows, f, indent=2)
    print("\nmeans over the seeds (RMSE; accuracy), and the paired difference to k-NN")
    for n in args.rows:
        sel = [r for r in rows if r["rows"] == n]
        knn = {r["seed"]: r["rmse_scaled"] for r in sel if r["imputer"] == "knn"}
        for name in ("exact", "knn", "mean-mode", "dmm"):
            mine = [r for r in sel if r["imputer"] == name]
            rmse = np.array([r["rmse_scaled"] for r in mine])
            diff = rmse - np.array([knn[r["seed"]] for r in mine])
            spread = (
                f" ± {diff.std(ddof=1) / np.sqrt(len(diff)):.4f}" if len(diff) > 1 else " (1 seed)"
            )
            acc = np.mean([r["accuracy"] for r in mine])
            print(
                f"{n:5d} rows  {name:10s} {rmse.mean():.4f}  {acc:.3f}  {diff.mean():+.4f}{spread}"
            )


if __name__ == "__main__":
    main()
