"""Flow matching's integrators on the straight path (``straight-euler``, ``-midpoint``, ``-heun``)
against exact scores: exact for point-mass data (the straight path is then a straight line), in
``x`` for ``vp`` and in the standardised logarithm for ``gbm``; measured orders 1, 2, 2; the 10-NFE
comparison with probability-flow Euler; positivity on the orthant (MATH.md §9)."""

import math

import pytest
import torch

from dmm.processes import GBM, SDE, VP, CosineSchedule, GeometricOU, MissingCapability
from dmm.reversal import Reversal
from dmm.samplers import (
    FlowEuler,
    StraightEuler,
    StraightHeun,
    StraightMidpoint,
    simulate,
    straight_grid,
)
from dmm.testing import ExactScore, measured_order, standard_mixture

F64 = torch.float64
SAMPLERS = [StraightEuler(), StraightMidpoint(), StraightHeun()]
NAMES = ["euler", "midpoint", "heun"]


class PointScore(torch.nn.Module):
    """The exact score of ``p_t`` for data ``δ_μ``: the kernel's own conditional score."""

    def __init__(self, process, mu):
        super().__init__()
        self.process, self.mu = process, mu

    def score(self, y, t, context=None):
        return self.process.conditional_score(y, self.mu.expand_as(y), t)


def _start(process, n, seed):
    return process.reference.sample(n, torch.Generator().manual_seed(seed)).to(F64)


@pytest.mark.parametrize("sampler", SAMPLERS, ids=NAMES)
@pytest.mark.parametrize("name", ["vp", "gbm", "geometric-ou"])
def test_exact_for_point_mass_data(name, sampler):
    # Data δ_μ: the velocity ε - u_0 is constant along each path, so z moves on a straight line,
    # z_τ = (1 - τ) u(μ) + τ ε, and any of the three integrators lands on it exactly (float64
    # rounding) in 3 steps; a wrong shift, scale or Jacobian term (gbm's -1/x) breaks this
    mu = torch.tensor([[0.7, 1.3]], dtype=F64)
    rows = torch.exp(torch.randn(64, 2, generator=torch.Generator().manual_seed(0))).to(F64)
    process = {
        "vp": VP(2, CosineSchedule()),
        "gbm": GBM.from_data(rows),
        "geometric-ou": GeometricOU.from_data(rows, theta=0.5),
    }[name]
    rev = Reversal(process, PointScore(process, mu))
    y_T = _start(process, 32, 1)
    out = simulate(rev, sampler, 32, y_init=y_T, grid=straight_grid(process, 3, dtype=F64))
    ends = torch.tensor([process.T, process.t_min], dtype=F64)
    kernel = process.gaussian_coordinates(ends)
    a, s = kernel.isotropic("test")
    u_mu = kernel.coords.to(mu)
    eps = (kernel.coords.to(y_T) - kernel.shift[:1] - a[:1] * u_mu) / s[:1]
    exact = kernel.coords.back(a[1:] * u_mu + kernel.shift[1:] + s[1:] * eps)
    torch.testing.assert_close(out, exact, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize(
    "sampler, lo, hi",
    [(StraightEuler(), 0.85, 1.2), (StraightMidpoint(), 1.75, 2.3), (StraightHeun(), 1.75, 2.3)],
    ids=NAMES,
)
def test_measured_order(vp_flow, sampler, lo, hi):
    # vp_flow: the exact-score flow of conftest.py; the straight grid at 20..160 steps, error = mean |y - y_ref| at t_min. Measured slopes
    # 0.99, 1.90 and 1.90 (successive: 1.83, 1.91, 1.96 for both second-order rules); the next
    # order up or down fails
    rev, start, ref = vp_flow
    errs = []
    for k in (20, 40, 80, 160):
        grid = straight_grid(rev.process, k, dtype=F64)
        errs.append(
            float((simulate(rev, sampler, 200, y_init=start, grid=grid) - ref).norm(dim=1).mean())
        )
    assert lo <= measured_order((20, 40, 80, 160), errs) <= hi, errs
    assert math.isfinite(errs[-1])


def test_ten_evaluations_against_probability_flow_euler(cosine_flow):
    # At 10 network evaluations (5 midpoint steps on the straight grid) the midpoint rule ends
    # closer to the exact-score flow than FlowEuler (10 steps, uniform grid) by the measured
    # factors 4.24 and 6.19 (the cosine_flow fixture of conftest.py, 8000 points; 4.16 and 5.51
    # over the first 4000 of them, 4.12 and 5.55 over 4000 of seed 1), where DPM-Solver-2M on the
    # same grid reaches 3.05 and 3.79; required: at least 3 (the metrics issue's threshold)
    rev, start, ref, case = cosine_flow
    measured = {"standard": 4.24, "concentrated": 6.19}[case]
    n, mid = len(start), StraightMidpoint()
    assert mid.nfe(5) == FlowEuler().nfe(10) == 10
    midpoint = (simulate(rev, mid, n, 5, y_init=start) - ref).norm(dim=1)
    euler = (simulate(rev, FlowEuler(), n, 10, y_init=start) - ref).norm(dim=1)
    ratio = float(euler.mean() / midpoint.mean())
    assert ratio >= 3, (ratio, measured)


@pytest.mark.parametrize("sampler", SAMPLERS, ids=NAMES)
def test_orthant_samples_stay_positive_whatever_the_network(sampler):
    # a score far from any density's (random and large): z is mapped back through exp
    rows = torch.exp(torch.randn(64, 2, generator=torch.Generator().manual_seed(0)))
    process = GBM.from_data(rows)

    class Wild(torch.nn.Module):
        def score(self, y, t, context=None):
            g = torch.Generator().manual_seed(int(1e6 * float(t[0])) % 1000)
            return 50 * torch.randn(y.shape, generator=g) / y

    out = simulate(Reversal(process, Wild()), sampler, 256, 4)
    assert bool(torch.isfinite(out).all()) and bool((out > 0).all())


@pytest.mark.parametrize("sampler", SAMPLERS, ids=NAMES)
def test_needs_a_straight_path(sampler):
    sde = SDE(lambda x, t: -x, lambda x, t: torch.ones_like(x), 2)
    with pytest.raises(MissingCapability, match="Gaussian in some coordinates"):
        sampler.check(sde)


def test_straight_euler_is_ddim():
    # z' = z + (τ' - τ)(ε̂ - x̂_0) = (1 - τ') x̂_0 + τ' ε̂ = (α' x̂_0 + s' ε̂)/(α' + s'): Euler in the
    # straight path's time is DDIM (dpm1) step for step, on any grid (float64 rounding)
    from dmm.samplers import DPMSolver1

    process = VP(2, CosineSchedule())
    rev = Reversal(process, ExactScore(process, standard_mixture()))
    start = _start(process, 64, 3)
    grid = straight_grid(process, 7, dtype=F64)
    a = simulate(rev, StraightEuler(), 64, y_init=start, grid=grid)
    b = simulate(rev, DPMSolver1(), 64, y_init=start, grid=grid)
    torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)
