"""Fitted grids on the exact-score oracle: how far each one-step sampler ends from the exact flow
at 10 network evaluations, on its own grid and on the grid fitted to the model.

``vp`` with the cosine schedule (the CLI's), the exact score of the standard mixture (component
variances 0.1-0.2) and of the same means with variance 1e-4 (nearly point masses); 4000 starting
points (seed 0) and their end points under DPM-Solver-2M with 1000 log-SNR steps as the exact flow.
Each sampler runs 10 evaluations (``steps_for(10)``) on its own default grid and on the grid
``dmm.samplers.fitted_grid`` fits from 128 other pilots (seed 1); reported: the mean distance
of the end points to the exact flow's, their ratio, and the fit's CPU seconds. The grid is
fitted to the summed one-step errors, not to this global error, so the ratio can be below 1.

    OMP_NUM_THREADS=1 python benchmarks/fitted_grids.py --json docs/results/fitted_grids.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import torch

from dmm.cli.config import writable_file
from dmm.processes import VP
from dmm.processes.schedules import CosineSchedule
from dmm.reversal import Reversal
from dmm.samplers import (
    DPMSolver2M,
    FlowEuler,
    FlowHeun,
    StraightEuler,
    StraightMidpoint,
    fitted_grid,
    simulate,
    straight_grid,
)
from dmm.testing import ExactScore, GaussianMixture, standard_mixture

SAMPLERS = {
    "ode-euler, uniform": FlowEuler,
    "ode-euler, straight": lambda: FlowEuler(straight_grid),
    "ode-heun, uniform": FlowHeun,
    "straight-euler, straight": StraightEuler,
    "straight-midpoint, straight": StraightMidpoint,
}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--budget", type=int, default=10)
    parser.add_argument("--json", type=writable_file("--json"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    base = standard_mixture()
    rows = []
    for case, variance in (("standard", None), ("concentrated", 1e-4)):
        mix = base
        if variance is not None:
            mix = GaussianMixture(base.weights, base.means, torch.full((3,), variance))
        process = VP(2, CosineSchedule())
        rev = Reversal(process, ExactScore(process, mix))
        start = process.reference.sample(args.n, torch.Generator().manual_seed(0)).double()
        exact = simulate(rev, DPMSolver2M(), args.n, 1000, y_init=start)
        for name, make in SAMPLERS.items():
            sampler = make()
            steps = sampler.steps_for(args.budget)
            clock = time.process_time()
            grid = fitted_grid(rev, sampler, steps, torch.Generator().manual_seed(1)).double()
            fit = time.process_time() - clock
            own, fitted = (
                (simulate(rev, sampler, args.n, steps, y_init=start, grid=g) - exact)
                .norm(dim=1)
                .mean()
                .item()
                for g in (None, grid)
            )
            row = {"case": case, "sampler": name, "steps": steps, "own_grid": own}
            row |= {"fitted_grid": fitted, "ratio": own / fitted, "fit_cpu_s": fit}
            row["grid"] = [round(float(t), 4) for t in grid]
            rows.append(row)
            print(json.dumps(row), flush=True)
    print(
        "| case | sampler, own grid | steps | own grid | fitted grid | own / fitted | fit CPU s |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['case']} | {r['sampler']} | {r['steps']} | {r['own_grid']:.4f} "
            f"| {r['fitted_grid']:.4f} | {r['ratio']:.2f} | {r['fit_cpu_s']:.1f} |"
        )
    out = {"command": "python benchmarks/fitted_grids.py " + " ".join(argv or sys.argv[1:])}
    out |= {"settings": vars(args) | {"json": None}, "rows": rows}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    return out


if __name__ == "__main__":
    main()
