"""Grids fitted to a model (``dmm.samplers.fitted``): the dynamic programme against brute force,
the fitted path's summed one-step cost against the default grid's, the grid's shape, the
exact-score oracle where a fixed grid fails (MATH.md §9), and the samplers it refuses."""

import itertools

import pytest
import torch

from dmm.processes import VP
from dmm.processes.schedules import CosineSchedule
from dmm.reversal import Reversal
from dmm.samplers import (
    DPMSolver2M,
    EulerMaruyama,
    FlowEuler,
    FlowHeun,
    UniPC,
    fitted_grid,
    simulate,
)
from dmm.samplers.fitted import best_path, fit_grid, one_step_costs, pilot_states
from dmm.testing import ExactScore, GaussianMixture, standard_mixture

F64 = torch.float64


def _brute_force(costs: torch.Tensor, steps: int) -> float:
    size = costs.shape[0]
    best = float("inf")
    for inner in itertools.combinations(range(1, size - 1), steps - 1):
        path = (0, *inner, size - 1)
        best = min(best, sum(float(costs[a, b]) for a, b in zip(path[:-1], path[1:])))
    return best


@pytest.mark.parametrize("steps", [1, 2, 3, 5, 7])
def test_best_path_is_the_cheapest_path(steps):
    g = torch.Generator().manual_seed(steps)
    costs = torch.rand(8, 8, generator=g, dtype=F64).triu(1)
    costs[torch.ones(8, 8).tril().bool()] = torch.inf  # only i < j is a step
    path = best_path(costs, steps)
    assert path[0] == 0 and path[-1] == 7 and len(path) == steps + 1
    assert bool((path[1:] > path[:-1]).all())
    total = sum(float(costs[a, b]) for a, b in zip(path[:-1].tolist(), path[1:].tolist()))
    assert total == pytest.approx(_brute_force(costs, steps), abs=1e-12)


def test_best_path_needs_enough_candidates():
    with pytest.raises(ValueError, match="at least 5 candidates"):
        best_path(torch.zeros(4, 4), 4)


@pytest.fixture(scope="module")
def concentrated():
    # VP (cosine, the CLI's vp), exact score of the standard mixture's means with variance 1e-4
    # (nearly point masses): the score is steep near t_min, where a uniform grid is too coarse
    base = standard_mixture()
    mix = GaussianMixture(base.weights, base.means, torch.full((3,), 1e-4))
    process = VP(2, CosineSchedule())
    rev = Reversal(process, ExactScore(process, mix))
    start = process.reference.sample(2000, torch.Generator().manual_seed(0)).to(F64)
    ref = simulate(rev, DPMSolver2M(), 2000, 1000, y_init=start)
    return rev, start, ref


def test_the_grid_runs_from_T_to_t_min_among_the_candidates(concentrated):
    rev, _, _ = concentrated
    process, sampler = rev.process, FlowEuler()
    candidates = sampler.default_grid(process, 64)
    grid = fitted_grid(rev, sampler, 10, torch.Generator().manual_seed(1), n=32)
    assert len(grid) == 11 and bool((grid[1:] < grid[:-1]).all())
    assert grid[0] == process.T and grid[-1] == pytest.approx(process.t_min)
    assert all(bool((candidates == t).any()) for t in grid)


def test_the_fitted_path_costs_no_more_than_the_default_grid(concentrated):
    # the default 8-step uniform grid is a sub-grid of the 64 uniform candidates, so the dynamic
    # programme's optimum is at most its summed one-step cost (to rounding), on the same pilots;
    # for Heun, whose last uniform step fails on these nearly point masses, far less
    rev, _, _ = concentrated
    sampler = FlowHeun()
    candidates = sampler.default_grid(rev.process, 64).to(F64)
    first = rev.process.reference.sample(64, torch.Generator().manual_seed(2)).to(F64)

    def step(y, t, t_next):
        return sampler.step(rev, y, t, t_next, None)

    costs = one_step_costs(step, candidates, pilot_states(step, first, candidates, 4))
    fitted = best_path(costs, 8)
    default = torch.arange(0, 65, 8)
    total = lambda p: sum(float(costs[a, b]) for a, b in zip(p[:-1], p[1:]))  # noqa: E731
    assert total(fitted.tolist()) <= total(default.tolist()) * (1 + 1e-12)
    assert total(fitted.tolist()) < 0.5 * total(default.tolist())  # measured 0.19 of it


def test_heun_on_nearly_point_masses(concentrated):
    # Heun with 5 steps (10 evaluations) on the uniform time grid: its last step, from t = 0.2 to
    # t_min, meets a score of size 1/s_t^2 ~ 1e4 and ends 1.58 from the exact-score flow (mean
    # distance; the data's modes are 0.01 wide). On the fitted grid the same sampler ends 0.11
    # from it (measured; the grid fit from 128 other pilots). Bound: 5x better (measured 14x).
    rev, start, ref = concentrated
    sampler = FlowHeun()
    grid = fitted_grid(rev, sampler, 5, torch.Generator().manual_seed(1)).to(F64)
    n = len(start)
    uniform = (simulate(rev, sampler, n, 5, y_init=start) - ref).norm(dim=1).mean()
    fitted = (simulate(rev, sampler, n, 5, y_init=start, grid=grid) - ref).norm(dim=1).mean()
    assert float(uniform / fitted) > 5, (float(uniform), float(fitted))


def test_forward_time_and_an_exact_step():
    # dy/dt = cos(6t) y has the exact step y e^{(sin 6t' - sin 6t)/6}; Euler's fitted grid, forward
    # in time from 0 to 1, keeps both ends and increases; an exact step has zero cost everywhere
    def euler(y, t, t_next):
        return y + (t_next - t)[:, None] * torch.cos(6 * t)[:, None] * y

    def exact(y, t, t_next):
        return y * torch.exp((torch.sin(6 * t_next) - torch.sin(6 * t))[:, None] / 6)

    first = torch.ones(4, 1, dtype=F64)
    candidates = torch.linspace(0, 1, 33, dtype=F64)
    grid = fit_grid(euler, first, candidates, 6)
    assert grid[0] == 0 and grid[-1] == 1 and bool((grid[1:] > grid[:-1]).all())
    costs = one_step_costs(exact, candidates, pilot_states(exact, first, candidates, 2))
    finite = costs[torch.isfinite(costs)]
    assert float(finite.abs().max()) < 1e-12


@pytest.mark.parametrize("sampler, why", [(EulerMaruyama(), "stochastic"), (UniPC(), "multistep")])
def test_one_step_deterministic_samplers_only(concentrated, sampler, why):
    rev, _, _ = concentrated
    with pytest.raises(ValueError, match=why):
        fitted_grid(rev, sampler, 5)


def test_candidates_must_be_monotone_and_enough():
    step = lambda y, t, t_next: y  # noqa: E731
    first = torch.zeros(2, 1)
    with pytest.raises(ValueError, match="at least 6"):
        fit_grid(step, first, torch.linspace(1, 0, 5), 5)
    with pytest.raises(ValueError, match="monotone"):
        fit_grid(step, first, torch.tensor([1.0, 0.5, 0.7, 0.0]), 2)


@pytest.mark.parametrize("sampler", [FlowEuler(), FlowHeun()])
def test_the_fit_cost_is_the_rows_the_model_evaluates(sampler):
    """dmm sample --grid fitted counted the samples' evaluations and not the pilots' (hundreds
    of thousands of rows): fit_evaluations is what fitting calls the model on, row by row."""
    from dmm.samplers import fit_evaluations

    rows = []

    class Counting(ExactScore):
        def score(self, y, t, context=None):
            rows.append(len(y))
            return super().score(y, t, context)

    process = VP(2)
    model = Counting(process, standard_mixture())
    fitted_grid(Reversal(process, model), sampler, 3, n=16, candidates=None)
    assert sum(rows) == fit_evaluations(sampler, 3, n=16)
