"""Does averaging more fillings, or resampling each step, close `dmm`'s imputation gap to k-NN?
Fits `TabularModel()` with ``benchmarks/tabular.py``'s settings on each split of a built-in table
(seeded the same way), hides the same 20% of the held-out cells, and scores the cell-wise mean /
mode of ``K`` fillings for each ``--draws K`` and each ``--resample U`` (RePaint's ``U`` repeats of
every sampler step; fillings stacked in one sampler call, seed = the split) next to k-NN's:

    python benchmarks/impute_fillings.py --table iris --draws 10 50 100 --json docs/results/impute_fillings_iris.json
    python benchmarks/impute_fillings.py --table wine --draws 10 --resample 1 4 --json ...

RMSE in training-range units over the hidden numeric cells (as ``tabular.py``), accuracy over the
hidden categorical cells, and the target column's accuracy with all its held-out cells hidden
(``--impute-columns``' protocol, one column). One thread; about 2 minutes per fit on iris.
"""

from __future__ import annotations

import argparse
import json
from functools import partial

import numpy as np
import torch

from dmm.tabular import TabularModel
from tabular import (
    conform,
    hide_cells,
    imputation_scores,
    impute_knn,
    kinds_of,
    load_table,
    seed_everything,
    split_rows,
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--table", default="iris")
    ap.add_argument("--splits", type=int, default=3)
    ap.add_argument("--draws", type=int, nargs="*", default=[10, 50, 100])
    ap.add_argument("--resample", type=int, nargs="*", default=[1])
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    frame, target = load_table(args.table, n=None, seed=0)
    kinds = kinds_of(frame)
    rows = []
    for s in range(args.splits):
        train_idx, test_idx = split_rows(frame[target], s, stratify=kinds[target] != "numeric")
        train = frame.iloc[train_idx].reset_index(drop=True)
        test = frame.iloc[test_idx].reset_index(drop=True)
        mask = hide_cells(test, 0.2, seed=s)
        column = np.zeros(test.shape, bool)
        column[:, list(test.columns).index(target)] = test[target].notna().to_numpy()
        seed_everything(s)
        model = TabularModel(seed=s).fit(train)

        def score(imputer, hidden, test=test, train=train):
            filled = imputer(test.mask(hidden))
            return imputation_scores(test, conform(filled, test, kinds), hidden, train, kinds)

        fills = {"knn": partial(impute_knn, train, kinds=kinds)}
        fills |= {
            f"dmm, {k} fillings" + (f", resample {u}" if u != 1 else ""): partial(
                model.impute, seed=s, draws=k, resample=u
            )
            for k in args.draws
            for u in args.resample
        }
        for name, imputer in fills.items():
            cells, col = score(imputer, mask), score(imputer, column)
            row = {"split": s, "imputer": name, "rmse_scaled": cells["rmse_scaled"]}
            row |= {"accuracy": cells["accuracy"], "target_accuracy": col["accuracy"]}
            rows.append(row)
            print(
                json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()})
            )
    print("\nmeans over the splits:")
    for name in dict.fromkeys(r["imputer"] for r in rows):
        mine = [r for r in rows if r["imputer"] == name]
        means = {k: float(np.mean([r[k] for r in mine])) for k in ("rmse_scaled", "accuracy")}
        means["target_accuracy"] = float(np.mean([r["target_accuracy"] for r in mine]))
        print(f"  {name}: " + ", ".join(f"{k} {v:.4f}" for k, v in means.items()))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
