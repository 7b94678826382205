"""Cost of imputing with several fillings: one sampler call per filling against the fillings'
rows stacked into one call (``dmm.cli.tables.draw_fillings``, used by ``TabularModel.impute``
and ``dmm sample --given --draws``): ``impute(frame, draws=K)`` against ``K`` calls of
``impute(frame)``.

    python benchmarks/impute_draws.py

Iris (150 rows, 5 columns): ``TabularModel(steps=200)`` fitted on 120 rows (the sampler's cost
does not depend on how well the network is trained; its size and the 500 sampler steps are the
defaults), then 20% of the cells of the other 30 rows hidden and filled ``K`` times, both ways,
alternately. CPU seconds of this process (single thread) and their ratio.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from dmm.cli.config import writable_file
from dmm.tabular import TabularModel
from dmm.tabular.datasets import load_table


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, nargs="*", default=[10, 50])
    ap.add_argument("--json", type=writable_file("--json"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    frame, _ = load_table("iris", None, 0)
    model = TabularModel(steps=200, seed=0).fit(frame.iloc[:120])
    test = frame.iloc[120:].reset_index(drop=True)
    masked = test.mask(np.random.default_rng(0).random(test.shape) < 0.2)
    rows = []
    for k in args.draws:
        t0 = time.process_time()
        for j in range(k):  # one call per filling, as impute(draws=k) did before
            model.impute(masked, seed=j)
        t1 = time.process_time()
        model.impute(masked, seed=0, draws=k)
        t2 = time.process_time()
        row = {"draws": k, "per_call_s": t1 - t0, "stacked_s": t2 - t1}
        row["speedup"] = row["per_call_s"] / row["stacked_s"]
        rows.append(row)
        print(json.dumps({key: round(v, 2) for key, v in row.items()}))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
