"""Quality on positive data: ``gbm``, ``geometric-ou`` and ``vp`` at equal training budget and equal
sampler steps (docs/positive.md shows the table).

For each data set: train each process (same MLP, steps, batch, learning rate), draw samples with the
same number of Euler–Maruyama steps, and report against held-out data: energy distance (V-statistic)
with its noise floor (the training data against the same held-out set, same sizes), per-feature KS
statistics (mean and max), and the boundary-violation rate. Metrics are computed on features divided
by the training standard deviation (wine's scales differ by 10^4). ``vp`` is trained on standardised
data (z-scores); its violating samples are reported as they are and after clipping to the orthant.
``gbm (x-step)`` re-samples the trained ``gbm`` model with the plain ``x``-coordinate step, to count
how often that step crosses zero.

Run (13 minutes wall on a busy shared 2-core machine)::

    python benchmarks/orthant_quality.py --out docs/orthant_quality --steps 1500
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

from dmm.cli.catalog import build
from dmm.data import export_sklearn, load_data
from dmm.metrics import energy_distance, ks_per_feature
from dmm.reversal import Reversal
from dmm.samplers import EulerMaruyama, simulate
from dmm.training import TrainConfig, train


def split_data(name: str, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    if name == "wine":
        with tempfile.TemporaryDirectory() as tmp:
            full = load_data(str(export_sklearn("wine", Path(tmp) / "wine.npy")), 0, g).float()
        perm = torch.randperm(len(full), generator=g)
        return full[perm[:128]], full[perm[128:]]
    return load_data(name, 20_000, g), load_data(name, 2_000, g)


def metrics(samples: torch.Tensor, test: torch.Tensor, scale: torch.Tensor) -> dict[str, float]:
    ok = torch.isfinite(samples).all(1)
    if ok.sum() < 2:  # e.g. the plain x-step after every trajectory crossed zero and blew up
        return {"energy": math.nan, "ks_mean": math.nan, "ks_max": math.nan}
    s, t = samples[ok] / scale, test / scale
    ks = ks_per_feature(s, t)
    return {
        "energy": energy_distance(s, t, unbiased=False),
        "ks_mean": float(ks.mean()),
        "ks_max": float(ks.max()),
    }


def violations(y: torch.Tensor) -> float:
    return float((~torch.isfinite(y).all(1) | (y <= 0).any(1)).float().mean())


def run_one(process_name: str, train_x: torch.Tensor, test: torch.Tensor, args) -> dict:
    mean, std = train_x.mean(0), train_x.std(0)
    fit_x = (train_x - mean) / std if process_name == "vp" else train_x
    params = {"hidden": args.hidden, "depth": args.depth}
    if process_name == "vp":  # standardised above, by this script's own protocol
        params["standardise"] = False
    built = build(process_name, fit_x, params)
    process = built.process
    config = TrainConfig(
        steps=args.steps,
        batch_size=args.batch,
        lr=args.lr,
        warmup=100,
        log_every=args.steps,
        val_every=10**9,
        checkpoint_every=10**9,
        seed=args.seed,
    )
    t0 = time.time()
    result = train(built.model, built.loss, built.data, config)
    seconds = time.time() - t0
    n = len(test) if len(train_x) > len(test) else len(train_x)
    g = torch.Generator().manual_seed(args.seed + 1)
    y = simulate(Reversal(process, result.ema), EulerMaruyama(), n, args.sample_steps, g)
    if process_name == "vp":
        y = y * std + mean
    row = {
        "process": process_name,
        "train_seconds": seconds,
        "violations": violations(y),
        **metrics(y, test, std),
    }
    rows = [row]
    if process_name == "vp":
        clipped = y.clamp_min(0.0)
        rows.append(
            {
                "process": "vp (clipped)",
                "train_seconds": seconds,
                "violations": 0.0,
                **metrics(clipped, test, std),
            }
        )
    if process_name == "gbm":
        plain = Reversal(process.with_log_step(False), result.ema)
        y_plain = simulate(
            plain,
            EulerMaruyama(),
            n,
            args.sample_steps,
            torch.Generator().manual_seed(args.seed + 1),
        )
        rows.append(
            {
                "process": "gbm (x-step)",
                "train_seconds": seconds,
                "violations": violations(y_plain),
                **metrics(y_plain, test, std),
            }
        )
    return {"rows": rows, "n_samples": n}


def table(results: dict) -> str:
    lines = [
        "| data | process | energy | energy floor | ratio | KS mean | KS max | violations |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for data, res in results["data"].items():
        floor = res["floor"]["energy"]
        for r in res["rows"]:
            ratio = r["energy"] / floor if floor > 0 else math.nan
            lines.append(
                f"| {data} | {r['process']} | {r['energy']:.4f} | {floor:.4f} | "
                f"{ratio:.1f} | {r['ks_mean']:.3f} | {r['ks_max']:.3f} | "
                f"{100 * r['violations']:.1f}% |"
            )
        fl = res["floor"]
        lines.append(
            f"| {data} | *train vs held-out (floor)* | {floor:.4f} | {floor:.4f} | 1.0 | "
            f"{fl['ks_mean']:.3f} | {fl['ks_max']:.3f} | 0.0% |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="docs/orthant_quality")
    ap.add_argument("--data", nargs="+", default=["orthant-gmm-2d", "orthant-gmm-10d", "wine"])
    ap.add_argument("--processes", nargs="+", default=["gbm", "geometric-ou", "vp"])
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--sample-steps", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    results = {"config": vars(args), "data": {}}
    for data in args.data:
        train_x, test = split_data(data, args.seed)
        std = train_x.std(0)
        floor_x = train_x[
            torch.randperm(len(train_x), generator=torch.Generator().manual_seed(args.seed))[
                : min(len(train_x), len(test))
            ]
        ]
        entry = {"floor": metrics(floor_x, test, std), "rows": []}
        for name in args.processes:
            out = run_one(name, train_x, test, args)
            entry["rows"] += out["rows"]
            entry["n_samples"] = out["n_samples"]
            print(data, json.dumps(out["rows"]), flush=True)
        results["data"][data] = entry
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(results, indent=1, default=_jsonable))
    out.with_suffix(".md").write_text(table(results) + "\n")
    print(table(results))


def _jsonable(x):
    return x.item() if isinstance(x, (np.generic, torch.Tensor)) else str(x)


if __name__ == "__main__":
    main()
