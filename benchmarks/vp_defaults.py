"""Ablation of the Gaussian diffusions' training defaults from the CLI: which variant makes 2-D
data sharpest.

Each variant is ``dmm train --process vp`` (or ``--process``) with the ``--set`` changes its name
lists, the same budget and seeds, evaluated by ``dmm eval`` (probability-flow Heun, 50 steps)
against fresh draws: C2ST AUC, the fraction of samples off the data set's support, and the energy
distance over its noise floor. Several seeds, because one run's AUC moves by about 0.01-0.02
between seeds. The names spell every changed setting out, and the rest is pinned to ``BASE`` (the
defaults when the first rows were measured), so a row means the same thing whatever the defaults
are when it is run.

    python benchmarks/vp_defaults.py --json docs/results/vp_defaults.json
    python benchmarks/vp_defaults.py --process ve --sets checkerboard --seeds 0 \
        --variants target=conditional target=batch
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

import torch
from standardise import run_cli  # the sibling script: dmm commands in this process

from dmm.cli.config import positive_whole, writable_file

#: the settings every variant starts from (a variant's own ``--set`` come after and win)
BASE = "parameterisation=eps,weighting=eps,grid=auto,fourier=0"
#: the variants of ``vp``: its settings spelled out (``--set`` for each)
VARIANTS = (
    "schedule=linear,target=conditional",
    "schedule=cosine,target=conditional",
    "schedule=linear,target=conditional,standardise=false",
    "schedule=linear,target=batch",
    "schedule=cosine,target=batch",
    "schedule=cosine,target=batch,fourier=5",
    "schedule=cosine,target=batch,parameterisation=velocity,weighting=straight",
    "schedule=cosine,target=batch,parameterisation=velocity,weighting=straight,fourier=5",
)


def sets_of(variant: str) -> list[str]:
    """``"a=1,b=2"`` -> ``["--set", "a=1", "--set", "b=2"]``."""
    return [arg for item in variant.split(",") for arg in ("--set", item)]


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--process", default="vp")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS))
    parser.add_argument("--sets", nargs="+", default=["checkerboard", "moons"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--steps", type=positive_whole("--steps"), default=2000)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--json", type=writable_file("--json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for data in args.sets:
            for variant in args.variants:
                for seed in args.seeds:
                    run = Path(tmp) / f"{data}-{len(rows)}"
                    run_cli(
                        [
                            "train",
                            "--process",
                            args.process,
                            "--data",
                            data,
                            "--out",
                            str(run),
                            "--quiet",
                        ]
                        + ["--steps", str(args.steps), "--batch-size", str(args.batch)]
                        + ["--seed", str(seed), *sets_of(BASE), *sets_of(variant)]
                    )
                    report = json.loads(
                        run_cli(["eval", str(run), "--sampler", "ode-heun", "--steps", "50"])
                    )
                    two = report["two_sample"]
                    rows.append(
                        {
                            "process": args.process,
                            "data": data,
                            "variant": variant,
                            "seed": seed,
                            "c2st_auc": two["c2st_auc"],
                            "off_support": two.get("off_support"),
                            "energy_ratio": two["energy_ratio"],
                        }
                    )
                    print(json.dumps(rows[-1]), flush=True)
    print(
        f"\n{args.process}, {args.steps} steps, batch {args.batch}, seeds {args.seeds}; mean over seeds"
    )
    print("| data | variant | C2ST AUC | off support | energy / floor |")
    print("|---|---|---|---|---|")
    for data in args.sets:
        for variant in args.variants:
            some = [r for r in rows if r["data"] == data and r["variant"] == variant]
            off = [r["off_support"] for r in some if r["off_support"] is not None]
            print(
                f"| {data} | {variant} | {statistics.mean(r['c2st_auc'] for r in some):.3f} | "
                + (f"{statistics.mean(off):.3f}" if off else "-")
                + f" | {statistics.mean(r['energy_ratio'] for r in some):.2f} |"
            )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main_()
