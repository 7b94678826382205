"""Measured orders of the probability-flow samplers and the 10-NFE comparison, with the exact score
of a Gaussian mixture on VP (the setup of tests/samplers/test_exponential_integrator.py).

Order: 200 starting points (float64, seed 0), each sampler on the log-SNR grid at 20, 40, 80, 160
steps; error = mean over points of |y - y_ref| at t_min, y_ref = DPM-Solver-2M with 8000 log-SNR
steps (its own error, ~2e-7, is below the smallest error measured; until 2026-12-04 FlowHeun with
4000 steps, ~2e-5 off, which flattened the slopes of the most accurate samplers);
slope of log(error) against log(1/steps) (the straight-path samplers on the straight grid). 10 NFE:
2000 starting points, DPM-Solver-2M on the log-SNR, straight-path and uniform grids (10 steps),
the straight-path samplers on the straight grid (10 evaluations: 10 Euler steps, 5 midpoint or
Heun steps), UniPC on the log-SNR and straight grids, and FlowEuler on its uniform grid (10 steps) against 2M with 1000 log-SNR steps;
ratio = FlowEuler's mean error / the sampler's, for the standard
mixture (component variance 0.1-0.2) and for concentrated data (variance 1e-4), on VP with the
linear schedule (the class default) and the cosine schedule (the CLI default).

    OMP_NUM_THREADS=1 python benchmarks/sampler_orders.py
"""

from __future__ import annotations

import argparse

import torch

from dmm.processes import VP, CosineSchedule
from dmm.reversal import Reversal
from dmm.samplers import (
    DPMSolver1,
    DPMSolver2M,
    FlowEuler,
    FlowHeun,
    StraightEuler,
    StraightHeun,
    StraightMidpoint,
    UniPC,
    logsnr_grid,
    simulate,
    straight_grid,
    time_grid,
)
from dmm.testing import ExactScore, GaussianMixture, measured_order, standard_mixture

F64 = torch.float64
STEPS = (20, 40, 80, 160)


def orders() -> None:
    process = VP(2)
    rev = Reversal(process, ExactScore(process, standard_mixture()))
    start = process.reference.sample(200, torch.Generator().manual_seed(0)).to(F64)
    ref = simulate(
        rev, DPMSolver2M(), 200, y_init=start, grid=logsnr_grid(process, 8000, dtype=F64)
    )
    for name, sampler in [
        ("dpm1", DPMSolver1()),
        ("dpm2", DPMSolver2M()),
        ("ode-euler", FlowEuler()),
        ("ode-heun", FlowHeun()),
        ("straight-euler", StraightEuler()),
        ("straight-midpoint", StraightMidpoint()),
        ("straight-heun", StraightHeun()),
        ("unipc", UniPC()),
        ("unipc order 1", UniPC(order=1)),
        ("unipc order 3", UniPC(order=3)),
    ]:
        # the straight-path samplers on their own grid (uniform in s/(α + s)), the others log-SNR
        grid, where = (
            (straight_grid, "straight") if name.startswith("straight") else (logsnr_grid, "log-SNR")
        )
        errs = []
        for k in STEPS:
            y = simulate(rev, sampler, 200, y_init=start, grid=grid(process, k, dtype=F64))
            errs.append((y - ref).norm(dim=1).mean().item())
        shown = " ".join(f"{e:.2e}" for e in errs)
        print(
            f"order  {name:17s} {where} grid, steps {STEPS}: errors {shown}  "
            f"slope {measured_order(STEPS, errs):.2f}"
        )


def ten_step_error(case, sampler, grid) -> float:
    """Mean distance at ``t_min`` to the reference after 10 evaluations of ``sampler`` on
    ``grid`` (10 steps, or 5 for the two-evaluation rules)."""
    rev, process, start, ref = case
    steps = sampler.steps_for(10)
    y = simulate(rev, sampler, len(start), y_init=start, grid=grid(process, steps, dtype=F64))
    return float((y - ref).norm(dim=1).mean())


def ten_nfe() -> None:
    base = standard_mixture()
    concentrated = GaussianMixture(base.weights, base.means, torch.full((3,), 1e-4))
    grids = {"log-SNR": logsnr_grid, "straight": straight_grid, "uniform": time_grid}
    for schedule, process in (("linear", VP(2)), ("cosine", VP(2, CosineSchedule()))):
        for label, mix in (("standard mixture", base), ("concentrated (var 1e-4)", concentrated)):
            rev = Reversal(process, ExactScore(process, mix))
            start = process.reference.sample(2000, torch.Generator().manual_seed(0)).to(F64)
            ref = simulate(rev, DPMSolver2M(), 2000, 1000, y_init=start)

            case = (rev, process, start, ref)
            euler = ten_step_error(case, FlowEuler(), time_grid)
            dpm2 = {g: ten_step_error(case, DPMSolver2M(), grid) for g, grid in grids.items()}
            shown = ", ".join(f"{g} {e:.3e} (ratio {euler / e:.2f})" for g, e in dpm2.items())
            print(f"10 NFE {schedule} {label}: ode-euler (uniform) {euler:.3e}; dpm2 on {shown}")
            straight = {
                name: ten_step_error(case, sampler, straight_grid)
                for name, sampler in (
                    ("straight-euler", StraightEuler()),
                    ("straight-midpoint", StraightMidpoint()),
                    ("straight-heun", StraightHeun()),
                )
            }
            shown = ", ".join(f"{g} {e:.3e} (ratio {euler / e:.2f})" for g, e in straight.items())
            print(f"10 NFE {schedule} {label}: on the straight grid, {shown}")
            unipc = {g: ten_step_error(case, UniPC(), grid) for g, grid in grids.items()}
            shown = ", ".join(f"{g} {e:.3e} (ratio {euler / e:.2f})" for g, e in unipc.items())
            print(f"10 NFE {schedule} {label}: unipc on {shown}")


if __name__ == "__main__":
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()  # --help: the docstring; no options
    orders()
    ten_nfe()
