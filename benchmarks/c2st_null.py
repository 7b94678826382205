"""The C2ST AUC's spread for two samples of one law: Mann–Whitney's value, the test's, a permutation's.

    python benchmarks/c2st_null.py --json docs/results/c2st_null.json

For each size ``n`` (rows per side) and dimension ``d``: ``--replicates`` pairs of independent
standard-normal samples, each scored by :func:`dmm.metrics.c2st_auc` with its own classifier seed;
the standard deviation of those AUCs is the test's null spread (``independent``). Beside it,
Mann–Whitney's ``sqrt((2n + 1) / (12 n²))`` (:func:`dmm.metrics.c2st_null_sd`, which assumes
scores independent of the rows they rank) and the mean over ``--estimates`` pairs of what
:func:`dmm.metrics.c2st_permutation_null` reads from one pair with ``--permutations`` deals (the
estimate ``dmm eval`` reports). The classifier is the default one (200 boosting iterations) and
the one of the table metrics (100). One thread; about 6 minutes.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from dmm.cli.config import writable_file
from dmm.metrics import c2st_auc, c2st_null_sd, c2st_permutation_null

#: (rows per side, dimension, boosting iterations, replicates): wine's held-out size, a few
#: hundred rows, and the 2000 rows of dmm eval's default
GRID = ((54, 13, 200, 100), (54, 13, 100, 100), (54, 2, 200, 100), (200, 13, 200, 60))
LARGE = ((2000, 2, 200, 30),)


def pair(n: int, d: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g), torch.randn(n, d, generator=g)


def measure(n: int, d: int, max_iter: int, replicates: int, estimates: int, permutations: int):
    start = time.process_time()
    aucs = [c2st_auc(*pair(n, d, 10_000 + r), seed=r, max_iter=max_iter) for r in range(replicates)]
    reads = [
        c2st_permutation_null(*pair(n, d, 20_000 + e), permutations, seed=e, max_iter=max_iter)
        for e in range(estimates)
    ]
    sd = float(np.std(aucs, ddof=1))
    row = {
        "n": n,
        "d": d,
        "max_iter": max_iter,
        "replicates": replicates,
        "independent_mean": float(np.mean(aucs)),
        "independent_sd": sd,
        "mann_whitney_sd": c2st_null_sd(n),
        "ratio_to_mann_whitney": sd / c2st_null_sd(n),
        "permutation_sd_mean": float(np.mean([r["sd"] for r in reads])),
        "permutation_sd_spread": float(np.std([r["sd"] for r in reads], ddof=1)),
        "permutations": permutations,
        "estimates": estimates,
        "cpu_s": time.process_time() - start,
    }
    print(
        f"n={n} d={d} iterations={max_iter}: independent sd {sd:.4f} (mean "
        f"{row['independent_mean']:.3f}, {replicates} pairs), Mann-Whitney {c2st_null_sd(n):.4f} "
        f"(x{row['ratio_to_mann_whitney']:.2f}), permutation estimate "
        f"{row['permutation_sd_mean']:.4f} +- {row['permutation_sd_spread']:.4f} over {estimates}",
        flush=True,
    )
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--estimates", type=int, default=10)
    parser.add_argument("--permutations", type=int, default=10)
    parser.add_argument("--skip-large", action="store_true", help="leave out n = 2000")
    parser.add_argument("--json", type=writable_file("--json"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    grid = GRID if args.skip_large else GRID + LARGE
    rows = []
    for n, d, max_iter, replicates in grid:
        estimates = args.estimates if n < 1000 else max(2, args.estimates // 2)
        rows.append(measure(n, d, max_iter, replicates, estimates, args.permutations))
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
