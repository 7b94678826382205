"""Ablation of VP's training defaults from the CLI: which variant makes 2-D data sharpest.

Each variant is ``dmm train --process vp`` with one ``--set`` change from the defaults, the same
budget and seed, evaluated by ``dmm eval`` (probability-flow Heun, 50 steps) against fresh draws:
C2ST AUC, the fraction of samples off the data set's support, and the energy distance over its
noise floor. Several seeds, because one run's AUC moves by about 0.01-0.02 between seeds.

    python benchmarks/vp_defaults.py --json docs/results/vp_defaults.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

import torch
from standardise import run_cli  # the sibling script: dmm commands in this process

#: variant name -> ``--set`` overrides of the defaults
VARIANTS = {
    "defaults (linear schedule, standardised)": [],
    "schedule=cosine": ["--set", "schedule=cosine"],
    "standardise=false": ["--set", "standardise=false"],
    "target=batch": ["--set", "target=batch"],
    "schedule=cosine, target=batch": ["--set", "schedule=cosine", "--set", "target=batch"],
}


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", default=["checkerboard", "moons"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for data in args.sets:
            for variant, sets in VARIANTS.items():
                for seed in args.seeds:
                    run = Path(tmp) / f"{data}-{len(rows)}"
                    run_cli(
                        ["train", "--process", "vp", "--data", data, "--out", str(run), "--quiet"]
                        + ["--steps", str(args.steps), "--batch-size", str(args.batch)]
                        + ["--seed", str(seed), *sets]
                    )
                    report = json.loads(
                        run_cli(["eval", str(run), "--sampler", "ode-heun", "--steps", "50"])
                    )
                    two = report["two_sample"]
                    rows.append(
                        {
                            "data": data,
                            "variant": variant,
                            "seed": seed,
                            "c2st_auc": two["c2st_auc"],
                            "off_support": two.get("off_support"),
                            "energy_ratio": two["energy_ratio"],
                        }
                    )
                    print(json.dumps(rows[-1]), flush=True)
    print(f"\n{args.steps} steps, batch {args.batch}, seeds {args.seeds}; mean over seeds")
    print("| data | variant | C2ST AUC | off support | energy / floor |")
    print("|---|---|---|---|---|")
    for data in args.sets:
        for variant in VARIANTS:
            some = [r for r in rows if r["data"] == data and r["variant"] == variant]
            off = [r["off_support"] for r in some if r["off_support"] is not None]
            print(
                f"| {data} | {variant} | {statistics.mean(r['c2st_auc'] for r in some):.3f} | "
                + (f"{statistics.mean(off):.3f}" if off else "-")
                + f" | {statistics.mean(r['energy_ratio'] for r in some):.2f} |"
            )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main_()
