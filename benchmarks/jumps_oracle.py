"""Jump samplers with the exact ratios of a wrapped-normal mixture on the 1-D torus (MATH.md §9).

    python benchmarks/jumps_oracle.py --out docs/results/jumps_oracle.json

Energy distance (periodic features, V-statistic) of τ-leaping (K = 16) against exact samples of
``p_{t_min}`` and against the exact thinning sampler, in units of the noise floor (mean of 4 draws).
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from dmm.cli.config import writable_file
from dmm.metrics import energy_distance
from dmm.processes.schedules import LinearSchedule
from dmm.processes.torus_jump import TorusJump
from dmm.reversal import Reversal
from dmm.samplers import simulate
from dmm.samplers.jumps import JumpTauLeaping, JumpThinning
from dmm.testing.jump_oracles import ExactTorusRatio, standard_torus_mixture


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1500)
    ap.add_argument("--steps", type=int, nargs="*", default=[8, 16, 32, 64])
    ap.add_argument(
        "--out",
        type=writable_file("--out"),
        default="docs/results/jumps_oracle.json",
        help="the JSON written (default: %(default)s, the committed result a trial run overwrites)",
    )
    args = ap.parse_args()
    torch.set_num_threads(1)
    # the process of the documented table (σ_J = 0.6, linear rate 1 -> 59, Λ(1) = 30)
    p, mix = TorusJump(1, 0.6, LinearSchedule(1.0, 59.0)), standard_torus_mixture(1)
    rev = Reversal(p, ExactTorusRatio(p, mix))
    g, n, feats = torch.Generator().manual_seed(0), args.n, p.space.features

    def target() -> torch.Tensor:
        return p.sample_marginal(mix.sample(n, g), torch.full((n,), p.t_min), g)

    def ed(a, b) -> float:
        return energy_distance(feats(a), feats(b), unbiased=False)

    floor = sum(ed(target(), target()) for _ in range(4)) / 4
    thinning = JumpThinning(lambda t: rev.model.ratio_bound(t))
    t0 = time.process_time()
    exact = simulate(rev, thinning, n, 20, g)
    rows = [
        {
            "sampler": "thinning (exact)",
            "vs_target": ed(exact, target()) / floor,
            "cpu_s": time.process_time() - t0,
            "candidates": thinning.candidates,
        }
    ]
    for steps in args.steps:
        t0 = time.process_time()
        y = simulate(rev, JumpTauLeaping(16), n, steps, g)
        rows.append(
            {
                "sampler": f"tau-leaping K=16, {steps} steps",
                "vs_target": ed(y, target()) / floor,
                "vs_thinning": ed(y, exact) / floor,
                "cpu_s": time.process_time() - t0,
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"floor": floor, "n": n, "rows": rows}, indent=2))
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
