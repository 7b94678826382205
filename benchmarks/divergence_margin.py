"""How far ordinary training stays from the divergence threshold of ``dmm.training``.

``train`` stops when a step's loss exceeds ``DIVERGENCE_FACTOR`` (1e4) times the first step's
``|loss|``. This script trains each catalogue process for a few hundred steps at its default
settings and prints the largest ratio ``loss / |first loss|`` seen (the margin below the
threshold), and the same for ``vp`` with ``lr=10``, which must cross it.

    python benchmarks/divergence_margin.py --steps 400 --json docs/results/divergence_margin.json
"""

from __future__ import annotations

import argparse
import json
import math

import torch

from dmm.cli.catalog import build, get_process
from dmm.cli.config import writable_file
from dmm.data import load_data
from dmm.training import DIVERGENCE_FACTOR, Divergence, TrainConfig, train

#: each catalogue process on a built-in data set of its space
CASES = {
    "vp": "moons",
    "ou": "checkerboard",
    "ve": "moons",
    "gbm": "orthant-gmm-2d",
    "geometric-ou": "orthant-gmm-2d",
    "torus-jump": "torus-checkerboard",
    "torus-brownian": "torus-moons",
    "absorbing": "tiny-chain",
    "ordinal": "tiny-chain",
    "levy-ou": "student-t-1.5-2d",
    "so3-brownian": "so3-mixture-16",
}


def largest_ratio(process: str, data: str, steps: int, lr: float | None) -> dict:
    x = load_data(data, 4000, torch.Generator().manual_seed(0))
    built = build(get_process(process), x, {}, seed=0)
    values = {**built.spec.train_defaults, "steps": steps, "log_every": 1}
    values.update({"val_every": 10**6, "checkpoint_every": 10**6})
    if lr is not None:
        values["lr"] = lr
    try:
        history = train(built.model, built.loss, built.data, TrainConfig(**values)).history
        stopped = None
    except Divergence as exc:
        history, stopped = [], str(exc)
    if stopped is not None:
        return {"process": process, "data": data, "lr": lr, "diverged": stopped}
    first = abs(history[0]["loss"])
    ratio = max(r["loss"] for r in history) / first
    return {"process": process, "data": data, "lr": lr, "largest_ratio": ratio, "steps": steps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--json", type=writable_file("--json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = [largest_ratio(p, d, args.steps, None) for p, d in CASES.items()]
    rows.append(largest_ratio("vp", "moons", args.steps, 10.0))
    for r in rows:
        what = r.get("diverged") or f"largest loss / |first loss| = {r['largest_ratio']:.3g}"
        print(f"{r['process']:>15} on {r['data']:<20} lr={r['lr'] or 'default':<8} {what}")
    ordinary = [r["largest_ratio"] for r in rows if "largest_ratio" in r and r["lr"] is None]
    worst = max(ordinary) if ordinary else math.nan
    print(
        f"threshold {DIVERGENCE_FACTOR:g}: the worst ordinary run is {DIVERGENCE_FACTOR / worst:.0f}x below it"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"threshold": DIVERGENCE_FACTOR, "rows": rows}, indent=2) + "\n"
        )


if __name__ == "__main__":
    main()
