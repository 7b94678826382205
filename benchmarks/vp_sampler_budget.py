"""Which sampler should ``vp`` use by default? ``em`` with 500 steps against few-evaluation
samplers, on runs trained from the plain CLI defaults.

For each data set: ``dmm train --process vp --data NAME`` (every default: 5000 steps, batch 1024,
seed 0), then ``dmm sample RUN`` with each candidate (``--sampler S --nfe N [--grid G]``; the
default is ``dmm sample RUN`` with nothing else: ``em``, 500 steps and the denoising step, 501
network evaluations) at sampling seeds 0 and 1, 2000 samples each, scored by the C2ST AUC against
2000 fresh draws (a new draw per seed) and, where the set has a known support, the share of
samples off it. ``gmm10`` (``benchmarks/peers.py``'s 10-D mixture) is trained from a file of
20 000 rows and scored against fresh draws of the mixture.

    OMP_NUM_THREADS=1 python benchmarks/vp_sampler_budget.py --json docs/results/vp_sampler_budget.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from peers import N_DATA, draw  # noqa: E402
from standardise import run_cli  # noqa: E402

from dmm.cli.config import writable_file
from dmm.data.registry import DATASET_INFO  # noqa: E402
from dmm.metrics import c2st_auc  # noqa: E402

SETS = ("checkerboard", "moons", "8gaussians", "swissroll", "pinwheel", "gmm10")
#: label -> extra arguments of ``dmm sample``
CANDIDATES = {
    "em, 500 steps (default)": [],
    **{
        f"{s}{', fitted grid' if g else ''}, {n} NFE": ["--sampler", s, "--nfe", str(n)]
        + (["--grid", g] if g else [])
        for n in (20, 50)
        for s, g in (("unipc", None), ("ode-heun", None), ("ode-heun", "fitted"))
    },
}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", default=list(SETS))
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--train-steps", type=int, help="default: the CLI's (a smoke test: 50)")
    parser.add_argument("--json", type=writable_file("--json"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in args.sets:
            data = name
            if name == "gmm10":
                data = str(folder / "gmm10.npy")
                np.save(data, draw("gmm10", N_DATA, 0).numpy())
            run = folder / name
            start = time.process_time()
            steps = [] if args.train_steps is None else ["--steps", str(args.train_steps)]
            run_cli(
                ["train", "--process", "vp", "--data", data, "--out", str(run), "--quiet", *steps]
            )
            train_cpu = time.process_time() - start
            support = DATASET_INFO[name].support if name in DATASET_INFO else None
            for label, extra in CANDIDATES.items():
                aucs, offs, cpu = [], [], 0.0
                for seed in range(args.seeds):
                    out = folder / f"{name}-{seed}.npy"
                    clock = time.process_time()
                    said = run_cli(
                        ["sample", str(run), "-n", str(args.n), "-o", str(out), "--force"]
                        + ["--seed", str(seed), "--quiet", *extra]
                    )
                    cpu += time.process_time() - clock
                    x = torch.from_numpy(np.load(out)).float()
                    aucs.append(c2st_auc(x, draw(name, args.n, 40_000 + seed)))
                    if support is not None:
                        offs.append(float((~support(x)).double().mean()))
                row = {"set": name, "sampler": label, "said": said.strip(), "c2st_auc": aucs}
                row |= {"mean_auc": sum(aucs) / len(aucs), "off_support": offs}
                row |= {"sample_cpu_s": cpu / args.seeds, "train_cpu_s": train_cpu}
                rows.append(row)
                print(json.dumps(row), flush=True)
    print(table(rows))
    out = {"command": "python benchmarks/vp_sampler_budget.py " + " ".join(argv or sys.argv[1:])}
    out |= {"settings": {k: v for k, v in vars(args).items() if k != "json"}, "rows": rows}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    return out


def table(rows: list[dict]) -> str:
    sets = list(dict.fromkeys(r["set"] for r in rows))
    lines = ["| sampler | " + " | ".join(sets) + " |", "|---" * (len(sets) + 1) + "|"]
    for label in dict.fromkeys(r["sampler"] for r in rows):
        cells = []
        for s in sets:
            r = next((r for r in rows if r["set"] == s and r["sampler"] == label), None)
            off = f" / {100 * np.mean(r['off_support']):.1f}%" if r and r["off_support"] else ""
            cells.append("—" if r is None else f"{r['mean_auc']:.3f}{off}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
