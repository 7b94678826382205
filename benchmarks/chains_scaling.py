"""Cost of one training step (score entropy, forward + backward) and one sampling step (τ-leaping,
Tweedie) of the chain DMMs as d and S grow: linear in both, no S^d anywhere.

    python benchmarks/chains_scaling.py          # ~1 minute on one core

Prints a table and the log-log slopes, and writes ``docs/results/chains_scaling.json`` (``--out``
elsewhere). Timings are the median of repeated CPU-time measurements (``time.process_time``), batch
64, an MLP with 64 hidden units (its input and output layers are ``d·S``-wide, so the network is
linear in ``d·S`` as well)."""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from dmm.cli.config import writable_file
from dmm.losses import ScoreEntropy
from dmm.networks import MLP
from dmm.processes.chains import AbsorbingChain, UniformChain
from dmm.reversal import Reversal
from dmm.samplers.chains import TauLeaping, TweedieStep
from dmm.scores.ratios import MeanRatios

ROOT = Path(__file__).resolve().parents[1]
BATCH, REPS = 64, 7


def cpu_time(fn) -> float:
    fn()  # warm-up
    times = []
    for _ in range(REPS):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return statistics.median(times)


def measure(cls, d: int, S: int) -> dict[str, float]:
    p = cls(d, S)
    torch.manual_seed(0)  # parameter initialisation of the benchmark model
    model = MeanRatios(MLP(p.space.feature_dim, d * S, 64, 2), p)
    g = torch.Generator().manual_seed(0)
    x0 = torch.randint(0, S, (BATCH, d), generator=g)
    loss = ScoreEntropy(p)

    def train_step():
        model.zero_grad()
        loss(model, x0, g).backward()

    rev = Reversal(p, model)
    y = p.reference.sample(BATCH, g)
    t, s = torch.full((BATCH,), 0.5), torch.full((BATCH,), 0.49)

    def sample_step(sampler):
        def f():
            with torch.no_grad():
                sampler.step(rev, y, t, s, g)

        return f

    return {
        "train_ms": 1e3 * cpu_time(train_step),
        "tau_ms": 1e3 * cpu_time(sample_step(TauLeaping())),
        "tweedie_ms": 1e3 * cpu_time(sample_step(TweedieStep())),
    }


def slope(xs, ys) -> float:
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--out",
        type=writable_file("--out"),
        default=ROOT / "docs/results/chains_scaling.json",
        help="the JSON written (default: docs/results/chains_scaling.json of this repository, the "
        "committed result)",
    )
    args = ap.parse_args()
    torch.set_num_threads(1)
    out: dict = {"batch": BATCH, "command": "python benchmarks/chains_scaling.py"}
    for cls in (UniformChain, AbsorbingChain):
        name = cls.__name__
        ds, Ss = [16, 32, 64, 128, 256], [4, 8, 16, 32, 64, 128]
        by_d = {d: measure(cls, d, 16) for d in ds}
        by_S = {S: measure(cls, 32, S) for S in Ss}
        out[name] = {"vs_d (S=16)": by_d, "vs_S (d=32)": by_S, "slopes": {}}
        for key in ("train_ms", "tau_ms", "tweedie_ms"):
            out[name]["slopes"][f"{key} vs d"] = slope(ds, [by_d[d][key] for d in ds])
            out[name]["slopes"][f"{key} vs S"] = slope(Ss, [by_S[S][key] for S in Ss])
        print(f"\n{name} (batch {BATCH}; CPU ms per step)")
        print(f"{'d':>5} {'S':>5} {'train':>8} {'tau':>8} {'tweedie':>8}")
        for d in ds:
            r = by_d[d]
            print(f"{d:>5} {16:>5} {r['train_ms']:8.2f} {r['tau_ms']:8.2f} {r['tweedie_ms']:8.2f}")
        for S in Ss:
            r = by_S[S]
            print(f"{32:>5} {S:>5} {r['train_ms']:8.2f} {r['tau_ms']:8.2f} {r['tweedie_ms']:8.2f}")
        print("log-log slopes:", {k: round(v, 2) for k, v in out[name]["slopes"].items()})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
