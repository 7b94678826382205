"""How much one draw moves the C2ST AUC on a small table, and what averaging draws changes.

    python benchmarks/c2st_draw_spread.py --runs docs/results/orthant_wine_draws.json \
        docs/results/orthant_breast_cancer_draws.json --json docs/results/c2st_draw_spread.json

1. **The classifier's folds alone**: on wine's splits (``orthant_quality.split_data``: 70% of the
   rows for training, 54 held out), the AUC of a fixed subset of training rows against the fixed
   held-out rows under ten classifier seeds (fold assignment and subsample), and of ten subsets
   of the training rows under one classifier seed. Nothing is trained: the spread is the metric's.
2. **Draws of trained models** (``--runs``, JSONs of ``orthant_quality.py --draws R``): the
   standard deviation of the AUC over each model's ``R`` draws, and each process's paired
   difference to the script's comparator (``vp`` clipped) from the first draw only against the
   mean of all draws: the same models, read two ways.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import torch
from orthant_quality import PAIRED_WITH, split_data

from dmm.cli.config import writable_file
from dmm.metrics import c2st_auc


def _sd(values) -> float:
    return float(np.std(values, ddof=1))


def fold_spread(splits: int, repeats: int) -> list[dict]:
    """Part 1, per split: the AUC's mean and sd over classifier seeds (fixed rows) and over
    training-row subsets (classifier seed 0)."""
    rows = []
    for split in range(splits):
        train, test = split_data("wine", split)
        scale = train.std(0)
        fixed = train[: len(test)]
        seeds = [c2st_auc(fixed / scale, test / scale, seed=k) for k in range(repeats)]
        subsets = []
        for k in range(repeats):
            perm = torch.randperm(len(train), generator=torch.Generator().manual_seed(k))
            subsets.append(c2st_auc(train[perm[: len(test)]] / scale, test / scale, seed=0))
        rows.append(
            {
                "split": split,
                "n_test": len(test),
                "classifier_seeds": {"mean": float(np.mean(seeds)), "sd": _sd(seeds)},
                "row_subsets": {"mean": float(np.mean(subsets)), "sd": _sd(subsets)},
            }
        )
    return rows


def spreads_of_run(runs_json: Path, comparator: str = PAIRED_WITH) -> dict:
    """Part 2 from a saved ``orthant_quality.py --draws`` run."""
    results = json.loads(runs_json.read_text())
    out = {}
    for data, res in results["data"].items():
        runs = res["runs"]
        models = [  # one row per trained model: a clipped copy repeats its model's draws
            r for run in runs for r in run["rows"] if not r["process"].endswith("(clipped)")
        ]
        sds = [_sd(r["c2st_draws"]) for r in models if len(r["c2st_draws"]) > 1]
        if not sds:
            raise SystemExit(
                f"c2st_draw_spread.py: {runs_json} has one draw per model; it needs a run of "
                "orthant_quality.py --draws R with R >= 2"
            )
        paired = {}
        names = [r["process"] for r in runs[0]["rows"] if r["process"] != comparator]
        for name in names:
            first, mean = [], []
            for run in runs:
                by = {r["process"]: r for r in run["rows"]}
                first.append(by[name]["c2st_draws"][0] - by[comparator]["c2st_draws"][0])
                mean.append(by[name]["c2st"] - by[comparator]["c2st"])
            se = math.sqrt(len(runs))
            paired[name] = {
                "first_draw": [float(np.mean(first)), _sd(first) / se],
                "mean_of_draws": [float(np.mean(mean)), _sd(mean) / se],
            }
        out[data] = {
            "draws": len(runs[0]["rows"][0]["c2st_draws"]),
            "splits": len(runs),
            "draw_sd": {"median": float(np.median(sds)), "min": min(sds), "max": max(sds)},
            "paired": paired,
        }
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--splits", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument(
        "--runs", type=Path, nargs="*", default=[], help="JSONs of orthant_quality.py --draws R"
    )
    ap.add_argument("--json", type=writable_file("--json"))
    args = ap.parse_args(argv)
    for path in args.runs:  # before the slow part: every run must hold several draws per model
        rows = [r for d in json.loads(path.read_text())["data"].values() for run in d["runs"]
                for r in run["rows"]]  # fmt: skip
        if not any(len(r["c2st_draws"]) > 1 for r in rows):
            ap.error(f"{path} has one draw per model: give runs of orthant_quality.py --draws R")
    torch.set_num_threads(1)
    result = {"folds": fold_spread(args.splits, args.repeats)}
    for row in result["folds"]:
        c, s = row["classifier_seeds"], row["row_subsets"]
        print(
            f"wine split {row['split']} ({row['n_test']} held out): training rows vs held-out, "
            f"classifier seeds sd {c['sd']:.3f} (mean {c['mean']:.3f}); "
            f"row subsets sd {s['sd']:.3f} (mean {s['mean']:.3f})"
        )
    if args.runs:
        result["draws"] = {k: v for path in args.runs for k, v in spreads_of_run(path).items()}
        for data, d in result["draws"].items():
            sd = d["draw_sd"]
            print(
                f"{data}: AUC sd over {d['draws']} draws of one model, {d['splits']} splits: "
                f"median {sd['median']:.3f}, {sd['min']:.3f}-{sd['max']:.3f}"
            )
            for name, p in d["paired"].items():
                (f, fse), (m, mse) = p["first_draw"], p["mean_of_draws"]
                print(
                    f"  {name} - vp (clipped): first draw {f:+.3f} +- {fse:.3f}, "
                    f"mean of draws {m:+.3f} +- {mse:.3f}"
                )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
