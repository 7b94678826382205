"""LevyOUMarginal: the tabulated ``log p_t`` of a Lévy OU started from a Student-t, against the
closed form at ``t_min``, the process's own exact samples at ``t > 0``, its power-law tail and
finite differences."""

import math

import pytest
import torch

from dmm.processes.jump_laws import GaussianJumps, StudentTJumps
from dmm.processes.levy_marginal import LevyOUMarginal
from dmm.processes.levy_ou import LevyOU


def _on_axis(radii, d):
    x = torch.zeros(len(radii), d, dtype=torch.float64)
    x[:, 0] = torch.as_tensor(radii, dtype=torch.float64)
    return x


@pytest.mark.parametrize("d, nu", [(2, 1.5), (8, 3.0)])
def test_at_t_min_it_is_the_student_t_density(d, nu):
    """At ``t_min = 10^-3`` a jump has happened with probability ``2·10^-3``, so ``p_t`` is the
    Student-t of scale ``e^{-θ t_min}`` to within that share. Tolerance 0.1 nats: the Monte Carlo
    part (16 384 draws) and the Pareto tail of the top 2% measured at most 0.07 off from
    ``r = 0.5`` to ``10^4`` on both cases."""
    process = LevyOU.student_t(d, nu=nu, rate=2.0, T=5.0)
    marginal = LevyOUMarginal(process, StudentTJumps(1, nu), nu)
    x = _on_axis([0.5, 1.0, 2.0, 5.0, 10.0, 50.0, 300.0, 1e4], d)
    t = torch.full((len(x),), process.t_min, dtype=torch.float64)
    exact = StudentTJumps(d, nu, math.exp(-process.t_min)).log_prob(x)
    assert (marginal.log_prob(x, t) - exact).abs().max() < 0.1


def test_shell_probabilities_match_exact_samples_of_the_process():
    """At ``t = 0.3, 1, 3`` in 2-D: the probability of shells ``r_1 < |X_t| < r_2``, integrated
    from the table, against the share of ``2·10^5`` exact draws of ``X_t`` (``x_0`` Student-t,
    then ``LevyOU.sample_marginal``). Every shell holds at least 1 500 draws (relative standard
    error ≤ 2.6%); tolerance 0.1 in log, about four standard errors."""
    nu, n = 1.5, 200_000
    process = LevyOU.student_t(2, nu=nu, rate=2.0, T=5.0)
    marginal = LevyOUMarginal(process, StudentTJumps(1, nu), nu)
    g = torch.Generator().manual_seed(1)
    like = torch.empty(0, dtype=torch.float64)
    edges = torch.tensor([0.0, 0.3, 0.7, 1.5, 3.0, 6.0, 15.0, 60.0], dtype=torch.float64)
    for t in (0.3, 1.0, 3.0):
        x0 = StudentTJumps(2, nu).sample((n,), g, like)
        r = process.sample_marginal(x0, torch.tensor(t, dtype=torch.float64), g).norm(dim=1)
        counts = torch.stack([((r >= a) & (r < b)).sum() for a, b in zip(edges, edges[1:])])
        assert counts.min() >= 1500
        for (a, b), c in zip(zip(edges, edges[1:]), counts):
            grid = torch.linspace(float(a), float(b), 2001, dtype=torch.float64)
            dens = marginal.log_prob(_on_axis(grid, 2), torch.full_like(grid, t)).exp()
            prob = torch.trapezoid(dens * 2 * math.pi * grid, grid)
            assert abs(math.log(prob / (c / n))) < 0.1, (t, float(a), float(b))


def test_far_out_the_density_is_a_power_law_of_the_index():
    d, nu = 8, 3.0
    process = LevyOU.student_t(d, nu=nu, rate=2.0, T=5.0)
    marginal = LevyOUMarginal(process, StudentTJumps(1, nu), nu)
    x = _on_axis([1e4, 1e5, 1e7, 1e9], d)  # the last two beyond the table
    for t in (1e-3, 0.5, 5.0):
        lp = marginal.log_prob(x, torch.full((4,), t, dtype=torch.float64))
        slopes = (lp[1:] - lp[:-1]) / torch.log(x[1:, 0] / x[:-1, 0])
        assert torch.allclose(slopes, torch.full_like(slopes, -(d + nu)), atol=0.02)


def test_gradient_is_continuous_and_matches_finite_differences():
    process = LevyOU.student_t(2, nu=2.0, rate=2.0, T=5.0)
    marginal = LevyOUMarginal(process, StudentTJumps(1, 2.0), 2.0)
    x = torch.tensor([[0.3, -0.2], [2.0, 1.0], [-40.0, 7.0]], dtype=torch.float64)
    t = torch.tensor([0.01, 0.5, 2.0], dtype=torch.float64)
    xg = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(marginal.log_prob(xg, t).sum(), xg)
    h = 1e-5
    for i in range(2):
        e = torch.zeros_like(x)
        e[:, i] = h
        fd = (marginal.log_prob(x + e, t) - marginal.log_prob(x - e, t)) / (2 * h)
        assert torch.allclose(grad[:, i], fd, rtol=1e-4, atol=1e-7)


def test_state_is_saved_and_construction_is_checked():
    process = LevyOU.student_t(2, nu=2.0, rate=2.0, T=5.0)
    marginal = LevyOUMarginal(process, StudentTJumps(1, 2.0), 2.0, draws=2048)
    assert {"log_ts", "value", "slope"} <= set(marginal.state_dict())
    with pytest.raises(ValueError, match="index"):
        LevyOUMarginal(process, StudentTJumps(1, 2.0), 0.0)
    with pytest.raises(ValueError, match="tail_share"):
        LevyOUMarginal(process, StudentTJumps(1, 2.0), 2.0, draws=100)
    with pytest.raises(ValueError, match="scale mixture"):

        class NotMixture(GaussianJumps):
            scale_mixture = False

        LevyOUMarginal(process, NotMixture(1, 1.0), 2.0)
