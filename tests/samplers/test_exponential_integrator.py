"""DPM-Solver++ (data prediction) on Gaussian-kernel processes against the exact-score oracle:
the DDIM identity, exactness for point-mass data, measured orders 1 and 2 on VP, the 10-NFE target
of the issue, the first-order last step of 2M, and the capability check (MATH.md §9)."""

import math

import pytest
import torch

from dmm.processes import OU, SDE, VE, VP, MissingCapability, SubVP
from dmm.reversal import Reversal
from dmm.samplers import (
    DPMSolver1,
    DPMSolver2M,
    FlowEuler,
    FlowHeun,
    logsnr_grid,
    simulate,
    straight_grid,
)
from dmm.testing import ExactScore, GaussianMixture, measured_order, standard_mixture

PROCESSES = [VP(2), VE(2), SubVP(2), OU(2)]
IDS = ["vp", "ve", "subvp", "ou"]
F64 = torch.float64


def _start(process, n, seed):
    return process.reference.sample(n, torch.Generator().manual_seed(seed)).to(F64)


@pytest.mark.parametrize("process", PROCESSES, ids=IDS)
def test_first_order_step_is_ddim(process):
    # y' = α' x̂0 + s' ε̂ with ε̂ = (y - α x̂0)/s, written independently of the λ form of the step
    rev = Reversal(process, ExactScore(process, standard_mixture()))
    y = _start(process, 64, 0)
    t = torch.full((64,), 0.6, dtype=F64)
    t_next = torch.full((64,), 0.35, dtype=F64)
    x0 = process.denoise(rev, y, t)
    (a, s), (a_n, s_n) = process.kernel(t[:1]), process.kernel(t_next[:1])
    ddim = a_n * x0 + s_n * (y - a * x0) / s
    out = DPMSolver1().step(rev, y, t, t_next, None)
    torch.testing.assert_close(out, ddim, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("sampler", [DPMSolver1(), DPMSolver2M()], ids=["dpm1", "dpm2"])
@pytest.mark.parametrize("process", PROCESSES, ids=IDS)
def test_exact_for_point_mass_data(process, sampler):
    # Data δ_μ: x̂0 ≡ μ, so the probability flow is y_t = α_t μ + s_t (y_T - α_T μ)/s_T and an
    # exponential integrator (exact in its linear part) reproduces it with any 3 steps, to rounding
    # (1e-9 relative in float64). A wrong α, s or λ for one process (e.g. VE's α = 1) breaks this.
    mu = torch.tensor([[0.7, -1.3]], dtype=F64)
    mix = GaussianMixture(torch.tensor([1.0]), mu, torch.tensor([0.0]))
    rev = Reversal(process, ExactScore(process, mix))
    y0 = _start(process, 32, 1)
    out = simulate(rev, sampler, 32, y_init=y0, grid=logsnr_grid(process, 3, dtype=F64))
    ends = torch.tensor([process.T, process.t_min], dtype=F64)
    (a_T, a_min), (s_T, s_min) = process.kernel(ends)
    exact = a_min * mu + s_min * (y0 - a_T * mu) / s_T
    torch.testing.assert_close(out, exact, rtol=1e-9, atol=1e-9)


# The order measurement: VP (linear β from 0.1 to 20) with the exact score of the standard 3-component
# mixture, 200 starting points in float64, each sampler's own log-SNR grid at 20..160 steps, error =
# mean over points of |y - y_ref| at t_min, reference = FlowHeun with 4000 steps on the log-SNR grid
# (it differs from a 4000-step DPM-Solver-2M solution by ~2e-5, below the smallest error measured,
# 4.0e-4; the vp_flow fixture of conftest.py). Measured slopes: dpm1 1.02, dpm2 1.95
# (benchmarks/sampler_orders.py).
ORDER_STEPS = (20, 40, 80, 160)


def _error(rev, sampler, start, ref, steps) -> float:
    grid = logsnr_grid(rev.process, steps, dtype=F64)  # both solvers' default grid, in float64
    y = simulate(rev, sampler, len(start), y_init=start, grid=grid)
    return (y - ref).norm(dim=1).mean().item()


@pytest.mark.parametrize(
    "sampler, lo, hi", [(DPMSolver1(), 0.85, 1.2), (DPMSolver2M(), 1.75, 2.3)], ids=["dpm1", "dpm2"]
)
def test_measured_order(vp_flow, sampler, lo, hi):
    # Tolerances: the fitted slope must lie within ~0.15-0.3 of the order; the next order up or
    # down (0 or 2 for dpm1, 1 or 3 for dpm2) fails. dpm2's successive slopes are 2.0, 1.9, 2.0
    # (the first step is first order).
    rev, start, ref = vp_flow
    errs = [_error(rev, sampler, start, ref, k) for k in ORDER_STEPS]
    assert lo <= measured_order(ORDER_STEPS, errs) <= hi, errs
    assert math.isfinite(errs[-1]) and errs[-1] < errs[0] / 4


def test_ten_evaluations_target(cosine_flow):
    # The target: at 10 network evaluations, DPM-Solver-2M ends at least 3x closer to the
    # exact-score flow than FlowEuler on its uniform grid. It holds on VP with the cosine schedule
    # (the CLI's vp) and the straight-path grid, for the standard mixture (variance 0.1-0.2) and
    # for concentrated data (1e-4, nearly point masses): measured ratios 3.05 and 3.79 over 8000
    # starting points (seed 0; over four seeds of 2000 points, 2.9-3.3 and 3.2-4.6: the mean
    # error is ruled by the few points near the boundaries between modes). The threshold is the
    # issue's; on the standard mixture the margin is small, and the other grids do not reach it
    # (benchmarks/sampler_orders.py: log-SNR 0.47 and 2.22, uniform 1.48 and 2.53). The flows:
    # the cosine_flow fixture of conftest.py.
    rev, start, ref, case = cosine_flow
    measured = {"standard": 3.05, "concentrated": 3.79}[case]
    n = len(start)
    dpm2 = (simulate(rev, DPMSolver2M(straight_grid), n, 10, y_init=start) - ref).norm(dim=1)
    euler = (simulate(rev, FlowEuler(), n, 10, y_init=start) - ref).norm(dim=1)
    assert DPMSolver2M().nfe(10) == FlowEuler().nfe(10) == 10
    ratio = float(euler.mean() / dpm2.mean())
    assert ratio >= 3, (ratio, measured)


@pytest.mark.parametrize("process", PROCESSES[1:], ids=IDS[1:])
def test_same_flow_on_the_other_processes(process):
    # 2M converges at order 2 to the probability flow that FlowHeun (2000 log-SNR steps) integrates
    # on VE, sub-VP and OU too: mean error over 200 points measured 0.004-0.013 at 40 steps and
    # 3e-4-9e-4 at 160, ratio 14.5-14.8 (order 2: 16, order 1: 4); require a ratio > 10 and < 2e-3.
    rev = Reversal(process, ExactScore(process, standard_mixture()))
    start = _start(process, 200, 0)
    ref = simulate(rev, FlowHeun(), 200, y_init=start, grid=logsnr_grid(process, 2000, dtype=F64))
    e40, e160 = (_error(rev, DPMSolver2M(), start, ref, k) for k in (40, 160))
    assert e160 < 2e-3 and e40 / e160 > 10, (e40, e160)


def test_reusing_a_sampler_and_stepping_by_hand():
    process = VP(2)
    rev = Reversal(process, ExactScore(process, standard_mixture()))
    start, sampler = _start(process, 50, 0), DPMSolver2M()
    a = simulate(rev, sampler, 50, 8, y_init=start)
    b = simulate(rev, sampler, 50, 8, y_init=start)  # start() forgets the first run's history
    assert torch.equal(a, b)
    # a step that does not continue the previous one (t ≠ its t_next) is a first-order step
    t, t_next = torch.full((50,), 0.5, dtype=F64), torch.full((50,), 0.4, dtype=F64)
    assert torch.equal(
        sampler.step(rev, start, t, t_next, None), DPMSolver1().step(rev, start, t, t_next, None)
    )
    # while a continuing one extrapolates (it differs from the first-order step)
    t2 = torch.full((50,), 0.3, dtype=F64)
    assert not torch.allclose(
        sampler.step(rev, start, t_next, t2, None), DPMSolver1().step(rev, start, t_next, t2, None)
    )


def test_the_last_step_of_2m_is_first_order():
    # two steps: the first has no history and the second is the grid's last, so 2M is DDIM; with
    # three steps the middle one extrapolates
    process = VP(2)
    rev = Reversal(process, ExactScore(process, standard_mixture()))
    start = _start(process, 50, 0)
    two = [simulate(rev, s, 50, 2, y_init=start) for s in (DPMSolver2M(), DPMSolver1())]
    three = [simulate(rev, s, 50, 3, y_init=start) for s in (DPMSolver2M(), DPMSolver1())]
    assert torch.equal(*two) and not torch.allclose(*three)


@pytest.mark.parametrize("sampler", [DPMSolver1(), DPMSolver2M()], ids=["dpm1", "dpm2"])
def test_needs_a_gaussian_kernel(sampler):
    # an SDE with a diffusion block but no closed-form kernel: the block check passes, the kernel
    # check must name what is missing
    sde = SDE(lambda x, t: -x, lambda x, t: torch.ones_like(x), 2)
    with pytest.raises(MissingCapability, match="Gaussian kernel"):
        sampler.check(sde)
    rev = Reversal(sde, ExactScore(VP(2), standard_mixture()))
    with pytest.raises(MissingCapability, match="Gaussian kernel"):
        simulate(rev, sampler, 4, 3)
