"""The C2ST on small samples: the classifier's smallest leaf, against its null and its power.

    python benchmarks/c2st_small_samples.py --json docs/results/c2st_small_samples.json

For ``n`` rows per side (15, 30, 60: iris's and wine's held-out rows are 30 and 36) and
``d = 4``: the mean and standard deviation of :func:`dmm.metrics.c2st_auc` over ``--replicates``
pairs of standard-normal samples (the null: 0.5 is unbiased), and its mean over pairs whose
second sample is 1.5 times wider (the power: further above 0.5 is better), each pair with its
own classifier seed, 100 boosting iterations (the table metrics'). Two leaf rules: the
classifier's default smallest leaf of 20 rows (``fixed-20``, ``c2st_auc`` until 2026-12-05) and
:func:`dmm.metrics.classifier.leaf_rows` (a fifth of a fold's training rows, at most 20). One
thread; about a minute.
"""

from __future__ import annotations

import argparse
import json
from unittest import mock

import numpy as np
import torch

import dmm.metrics.classifier as classifier
from dmm.cli.config import writable_file
from dmm.metrics import c2st_auc

RULES = {"fixed-20": lambda rows: classifier.LEAF_ROWS, "leaf_rows": classifier.leaf_rows}


def aucs(n: int, d: int, scale: float, replicates: int, first_seed: int) -> np.ndarray:
    out = []
    for r in range(replicates):
        g = torch.Generator().manual_seed(first_seed + r)
        x, y = torch.randn(n, d, generator=g), scale * torch.randn(n, d, generator=g)
        out.append(c2st_auc(x, y, seed=r, max_iter=100))
    return np.array(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[15, 30, 60])
    ap.add_argument("--dim", type=int, default=4)
    ap.add_argument("--replicates", type=int, default=40)
    ap.add_argument("--json", type=writable_file("--json"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    rows = []
    print("| leaf rule | rows per side | null: mean AUC | null: sd | 1.5 times wider: mean AUC |")
    print("|---|---|---|---|---|")
    for rule, leaf in RULES.items():
        with mock.patch.object(classifier, "leaf_rows", leaf):
            for n in args.sizes:
                null = aucs(n, args.dim, 1.0, args.replicates, 0)
                wide = aucs(n, args.dim, 1.5, args.replicates, 10_000)
                row = {"rule": rule, "n": n, "d": args.dim, "null_mean": float(null.mean())}
                row |= {"null_sd": float(null.std(ddof=1)), "wide_mean": float(wide.mean())}
                rows.append(row)
                print(
                    f"| {rule} | {n} | {row['null_mean']:.3f} | {row['null_sd']:.3f} | "
                    f"{row['wide_mean']:.3f} |",
                    flush=True,
                )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"replicates": args.replicates, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
