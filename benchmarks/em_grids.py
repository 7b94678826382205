"""Euler–Maruyama's time grid on `vp` from the plain CLI defaults: uniform in time, uniform in
log-SNR, or uniform in the straight path's time (the grid `vp`'s deterministic samplers use).

For each built-in data set and training seed: ``dmm train --process vp --data NAME --seed S`` with
every default (plus ``--steps`` and ``--batch-size`` if given; the recorded tables are at batch
256, ``vp``'s default until 2026-12-03), then for each grid a copy of the run whose
``config.yaml`` names that grid, scored by ``dmm eval COPY --seed K`` for sampling seeds
``K = 0, 1, ...`` (2000 samples against 2000 fresh draws, the run's default sampler ``em`` at its
default 500 steps). Prints, per data set and grid, the mean over training and sampling seeds of
the C2ST AUC and of the share of samples off the data's support (the checkerboard's empty cells),
with every single value in the JSON.

    python benchmarks/em_grids.py --batch-size 256 --json docs/results/em_grids.json   # 30 min
    python benchmarks/em_grids.py --batch-size 256 --data checkerboard --seeds 2 --steps 15000
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import torch
import yaml
from standardise import mean_scores, score_rows, train_cpu_seconds  # the sibling script

from dmm.cli.config import writable_file

GRIDS = ("uniform", "log-snr", "straight")


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data",
        nargs="+",
        default=["checkerboard", "moons", "swissroll", "8gaussians", "pinwheel"],
    )
    parser.add_argument("--seeds", type=int, default=1, help="training seeds 0, 1, ...")
    parser.add_argument("--sample-seeds", type=int, default=2, help="dmm eval seeds 0, 1, ...")
    parser.add_argument("--steps", type=int, help="training steps (default: the CLI's)")
    parser.add_argument("--batch-size", type=int, help="training batch (default: the CLI's)")
    parser.add_argument("--json", type=writable_file("--json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.data:
            for seed in range(args.seeds):
                run = Path(tmp) / f"{name}-{seed}"
                steps = ["--steps", str(args.steps)] if args.steps else []
                steps += ["--batch-size", str(args.batch_size)] if args.batch_size else []
                argv = ["--process", "vp", "--data", name, "--seed", str(seed)]
                cpu = train_cpu_seconds([*argv, "--out", str(run), *steps])
                for grid in GRIDS:
                    copy = Path(tmp) / f"{name}-{seed}-{grid}"
                    shutil.copytree(run, copy)
                    config = yaml.safe_load((copy / "config.yaml").read_text())
                    config["params"]["grid"] = grid
                    (copy / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
                    rows += score_rows(
                        copy,
                        args.sample_seeds,
                        data=name,
                        seed=seed,
                        grid=grid,
                        train_cpu_seconds=cpu,
                    )
    print("\n| data | grid | C2ST AUC | off support |\n|---|---|---|---|")
    for name in args.data:
        for grid in GRIDS:
            sel = [r for r in rows if r["data"] == name and r["grid"] == grid]
            auc, mean_off, _ = mean_scores(sel)
            off = "-" if mean_off is None else f"{100 * mean_off:.2f}%"
            print(f"| {name} | {grid} | {auc:.3f} | {off} |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"config": vars(args), "rows": rows}, indent=1, default=str)
        )


if __name__ == "__main__":
    main_()
