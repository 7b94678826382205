"""Heavy tails through the command line: `levy-ou` and `vp` with their CLI defaults on a 4-D
heavy-tailed table of mixed scales, as a user would bring it.

The data: an elliptical Student-t with ``ν = 2.5`` in 4-D, ``x = loc + L z`` with coordinate
scales ``0.2, 1, 5, 30`` and correlation 0.5 between the first two coordinates, written to a
``.npy`` file of 20 000 rows (``dmm train`` keeps 10% of them out). Each process trains with
``dmm train --process P --data FILE --steps STEPS`` (defaults otherwise), ``dmm eval`` gives the
C2ST AUC against the held-out rows, and ``dmm sample -n N`` the samples whose tails are compared
with 10^6 fresh draws: the log-errors of the 0.99 / 0.999 / 0.9999 quantiles of the elliptical
radius ``|L^{-1}(x - loc)|`` (the law's own, the same for every model), next to the mean
log-error of ``N`` exact draws (20 repeats). ``levy-ou`` also runs with ``standardise=false``
(raw values, as before 2026-12-05).

    python benchmarks/heavy_cli.py --json docs/results/heavy_cli.json
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from standardise import run_cli

from dmm.cli.config import positive_whole, writable_file
from dmm.data.heavy_tails import student_t
from dmm.metrics.tails import LEVELS, hill_index

LOC = torch.tensor([100.0, -3.0, 0.0, 7.0], dtype=torch.float64)
SCALES = torch.tensor([0.2, 1.0, 5.0, 30.0], dtype=torch.float64)
NU = 2.5
#: label -> extra ``dmm train`` arguments
RUNS = {
    "vp": ["--process", "vp"],
    "levy-ou": ["--process", "levy-ou"],
    "levy-ou, standardise=false": ["--process", "levy-ou", "--set", "standardise=false"],
}


def _factor() -> torch.Tensor:
    """``L``: the coordinate scales times the Cholesky factor of the correlation."""
    corr = torch.eye(4, dtype=torch.float64)
    corr[0, 1] = corr[1, 0] = 0.5
    return SCALES[:, None] * torch.linalg.cholesky(corr)


def draw(n: int, seed: int) -> torch.Tensor:
    """``n`` rows of the table (float64)."""
    z = student_t(n, torch.Generator().manual_seed(seed), NU, 4).double()
    return LOC + z @ _factor().T


def radius(x: torch.Tensor) -> torch.Tensor:
    """The elliptical radius ``|L^{-1}(x - loc)|``."""
    white = torch.linalg.solve_triangular(_factor(), (x.double() - LOC).T, upper=False)
    return white.norm(dim=0)


def quantiles(r: torch.Tensor) -> list[float]:
    return [float(torch.quantile(r, q)) for q in LEVELS]


def log_errors(r: torch.Tensor, truth: list[float]) -> list[float]:
    return [abs(math.log(a / b)) for a, b in zip(quantiles(r), truth, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=positive_whole("--steps"), default=6000)
    parser.add_argument("-n", type=int, default=10000, help="samples whose tails are compared")
    parser.add_argument("--runs", nargs="+", default=list(RUNS), choices=list(RUNS))
    parser.add_argument("--json", type=writable_file("--json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    truth = quantiles(radius(draw(10**6, 99)))
    floor = np.mean([log_errors(radius(draw(args.n, 1000 + k)), truth) for k in range(20)], 0)
    rows = [{"model": f"exact draws, n = {args.n} (mean of 20)", "logerr": floor.tolist()}]
    print(json.dumps(rows[-1]), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = folder / "table.npy"
        np.save(data, draw(20000, 0).float().numpy())
        for label in args.runs:
            run = folder / label.replace(" ", "").replace(",", "_").replace("=", "-")
            start = time.process_time()
            argv = ["train", "--data", str(data), "--out", str(run), "--steps", str(args.steps)]
            run_cli([*argv, *RUNS[label], "--quiet"])
            train_s = time.process_time() - start
            report = json.loads(run_cli(["eval", str(run), "--quiet"]))
            start = time.process_time()
            samples = folder / f"{run.name}.npy"
            run_cli(["sample", str(run), "-n", str(args.n), "-o", str(samples), "--quiet"])
            sample_s = time.process_time() - start
            y = torch.from_numpy(np.load(samples))
            finite = torch.isfinite(y).all(dim=1)
            r = radius(y[finite])
            rows.append(
                {
                    "model": label,
                    "logerr": log_errors(r, truth),
                    "hill": hill_index(r[:, None]),
                    "c2st_auc": report["two_sample"]["c2st_auc"],
                    "eval_n": report["n"],
                    "nonfinite": int((~finite).sum()),
                    "train_cpu_s": train_s,
                    "sample_cpu_s": sample_s,
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    print(
        f"\n| model | log-error 0.99 / 0.999 / 0.9999 | Hill index (data {NU}) | C2ST AUC | "
        "train CPU s | sample CPU s |\n|---|---|---|---|---|---|"
    )
    for row in rows:
        errs = " / ".join(f"{e:.2f}" for e in row["logerr"])
        if "hill" not in row:
            print(f"| {row['model']} | {errs} | | | | |")
            continue
        print(
            f"| {row['model']} | {errs} | {row['hill']:.2f} | {row['c2st_auc']:.3f} | "
            f"{row['train_cpu_s']:.0f} | {row['sample_cpu_s']:.0f} |"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"steps": args.steps, "n": args.n, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
