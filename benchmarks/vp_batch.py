"""`vp`'s training batch from the CLI: how many rows per step the checkerboard needs to be sharp.

For each data set, batch size and training seed: ``dmm train --process vp --data NAME --batch-size
B --seed S`` with every other default (5000 steps), then ``dmm eval RUN --seed K`` for sampling
seeds ``K = 0, 1, ...`` (2000 samples against 2000 fresh draws, the run's default sampler). Prints
per data set and batch the mean over training and sampling seeds of the C2ST AUC and of the share
of samples off the data's support (the checkerboard's empty cells), and the training CPU seconds
of this process (one thread); every single value goes to the JSON.

    python benchmarks/vp_batch.py --json docs/results/vp_batch.json     # 26 min on one core
    python benchmarks/vp_batch.py --data moons --seeds 1 --batches 256 1024 \
        --json docs/results/vp_batch_moons.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import torch
from standardise import mean_scores, score_rows, train_cpu_seconds  # the sibling script

from dmm.cli.config import writable_file


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", nargs="+", default=["checkerboard"])
    parser.add_argument("--batches", type=int, nargs="+", default=[256, 512, 1024])
    parser.add_argument("--seeds", type=int, default=2, help="training seeds 0, 1, ...")
    parser.add_argument("--sample-seeds", type=int, default=2, help="dmm eval seeds 0, 1, ...")
    parser.add_argument("--json", type=writable_file("--json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.data:
            for batch in args.batches:
                for seed in range(args.seeds):
                    run = Path(tmp) / f"{name}-{batch}-{seed}"
                    argv = ["--process", "vp", "--data", name, "--seed", str(seed)]
                    cpu = train_cpu_seconds([*argv, "--batch-size", str(batch), "--out", str(run)])
                    rows += score_rows(
                        run,
                        args.sample_seeds,
                        data=name,
                        batch=batch,
                        seed=seed,
                        train_cpu_seconds=cpu,
                    )
    print("\n| data | batch | C2ST AUC | off support (each value) | train CPU s |")
    print("|---|---|---|---|---|")
    for name in args.data:
        for batch in args.batches:
            sel = [r for r in rows if r["data"] == name and r["batch"] == batch]
            auc, mean_off, offs = mean_scores(sel)
            off = "-"
            if mean_off is not None:
                off = f"{100 * mean_off:.2f}% ({' / '.join(f'{100 * o:.2f}' for o in offs)})"
            cpu = sorted({round(r["train_cpu_seconds"]) for r in sel})
            print(f"| {name} | {batch} | {auc:.3f} | {off} | {', '.join(map(str, cpu))} |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"config": vars(args), "rows": rows}, indent=1, default=str)
        )


if __name__ == "__main__":
    main_()
