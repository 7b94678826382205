"""Measured convergence orders: Euler–Maruyama weak order ≈ 1, probability-flow Heun order ≈ 2."""

import math

import torch

from dmm.processes import VP, ConstantSchedule
from dmm.reversal import Reversal
from dmm.samplers import EulerMaruyama, FlowEuler, FlowHeun, simulate, time_grid
from dmm.testing import ExactScore, GaussianMixture
from dmm.testing.orders import measured_order

# 1-D Gaussian data N(0.8, 0.3²): p_t is Gaussian with exact linear score, so the only error left is
# the time discretisation. A VP with constant β = 2 on [0.2, 2] (an OU process) keeps the step sizes
# in the asymptotic regime already at 8 steps.
MIX = GaussianMixture(torch.tensor([1.0]), torch.tensor([[0.8]]), torch.tensor([0.09]))
PROCESS = VP(1, ConstantSchedule(2.0), T=2.0)
T_END = 0.2


def _exact_second_moment() -> float:
    t = torch.tensor([T_END], dtype=torch.float64)
    a, s = PROCESS.alpha(t).item(), PROCESS.std(t).item()
    return (a * 0.8) ** 2 + a**2 * 0.09 + s**2


def test_euler_maruyama_weak_order_one():
    # Weak error of E[Y²] at 8, 16, 32 steps with n = 2e5 samples: errors ~0.2..0.045 against a
    # Monte Carlo standard error ~2e-3. Measured slope is 1.1-1.15 at these steps (the O(h²) term
    # still shows), so the fitted order must lie in [0.9, 1.25]; order 2 or 0.5 would fail.
    g = torch.Generator().manual_seed(0)
    rev = Reversal(PROCESS, ExactScore(PROCESS, MIX))
    n, exact = 200_000, _exact_second_moment()
    errs = []
    t1 = torch.full((n,), PROCESS.T)
    for steps in (8, 16, 32):
        start = PROCESS.sample_transition(MIX.sample(n, g), t1, g)
        grid = time_grid(PROCESS, steps, t_end=T_END)
        y = simulate(rev, EulerMaruyama(), n, generator=g, y_init=start, grid=grid)
        errs.append(abs((y.double() ** 2).mean().item() - exact))
    assert 0.9 <= measured_order((8, 16, 32), errs) <= 1.25, errs


def test_probability_flow_orders():
    # Deterministic flow from a shared start: error against a 4096-step Heun solution on the same
    # points has no Monte Carlo noise. Euler order in [0.85, 1.15]; Heun in [1.8, 2.2].
    g = torch.Generator().manual_seed(0)
    rev = Reversal(PROCESS, ExactScore(PROCESS, MIX))
    start = PROCESS.sample_transition(
        MIX.sample(2000, g).double(), torch.full((2000,), PROCESS.T, dtype=torch.float64), g
    )

    def run(sampler, steps):  # noqa: E306
        grid = time_grid(PROCESS, steps, t_end=T_END).double()
        return simulate(rev, sampler, 2000, generator=g, y_init=start, grid=grid)

    ref = run(FlowHeun(), 4096)
    for sampler, lo, hi in ((FlowEuler(), 0.85, 1.15), (FlowHeun(), 1.8, 2.2)):
        steps = (16, 32, 64, 128)
        errs = [(run(sampler, k) - ref).abs().max().item() for k in steps]
        assert lo <= measured_order(steps, errs) <= hi, (type(sampler).__name__, errs)
        assert math.isfinite(errs[-1])
