"""Time grids fitted to a trained model: the few-step grid that follows the model's own flow best.

A deterministic one-step sampler ``Φ`` moves ``y`` from ``t_i`` to ``t_j < t_i`` along the
backward (probability-flow) ODE of the learned model; its one-step error depends on where the
flow bends, which a fixed grid (uniform in time, in log-SNR, in the straight path's time) can
only guess. Following Chen et al. (2024, "On the trajectory regularity of ODE-based diffusion
sampling", their GITS), the grid is fitted from pilot trajectories of the model itself:

1. draw ``n`` pilot states from the reference law and solve the ODE accurately — the same
   sampler on the candidate times ``c_0 = T > c_1 > … > c_N = t_min``, each interval cut into
   ``refine`` steps — keeping ``Y_i``, the pilot states at ``c_i``;
2. the cost of one step from ``c_i`` to ``c_j`` is the mean one-step error
   ``C_{ij} = (1/n) Σ ‖Φ(Y_i; c_i → c_j) - Y_j‖₂`` (``Y_i`` per pilot, flattened);
3. the ``K``-step grid is the path ``0 = i_0 < i_1 < … < i_K = N`` with the least
   ``Σ_k C_{i_k i_{k+1}}``, found exactly by dynamic programming in ``O(K N²)``.

The summed one-step errors bound the global error up to the flow's stability constant, so the
grid spends its steps where the model's trajectories bend. Fitting costs the pilot solve
(``N · refine`` steps) and the one-step costs (``N (N + 1) / 2`` steps) on ``n`` rows, a few
seconds for a small network; no data are used, only the model. The grid is then fixed: every
sample it serves costs ``K`` steps. Samplers that carry history between steps
(:attr:`~dmm.samplers.Sampler.multistep`) have no one-step error to fit and are refused.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from ..reversal import Reversal
from .base import Sampler, expand_time

#: one step of an ODE solver: ``step(y, t, t_next)`` with ``t``, ``t_next`` of shape ``(len(y),)``
Step = Callable[[Tensor, Tensor, Tensor], Tensor]

#: candidate times: the sampler's default grid with this many steps, or twice the grid's steps
CANDIDATES = 64
#: steps of the pilot solve per candidate interval
REFINE = 8
#: pilot trajectories
PILOTS = 128
#: rows per batched one-step call (bounds memory for wide states)
_CHUNK = 65536


@torch.no_grad()
def fitted_grid(
    rev: Reversal,
    sampler: Sampler,
    steps: int,
    generator: torch.Generator | None = None,
    *,
    n: int = PILOTS,
    candidates: Tensor | None = None,
    refine: int = REFINE,
    device: torch.device | str | None = None,
) -> Tensor:
    """The ``steps``-step grid (``steps + 1`` times from ``T`` down to ``t_min``) among
    ``candidates`` (default: the sampler's own grid with ``max(CANDIDATES, 2 steps)`` steps) that
    minimises the summed mean one-step error of ``sampler`` against the pilot solution of ``n``
    reference draws (module doc). ``ValueError`` for a stochastic or multistep sampler."""
    if not sampler.deterministic or sampler.multistep:
        raise ValueError(
            f"a fitted grid needs a deterministic one-step sampler; {type(sampler).__name__} is "
            f"{'multistep' if sampler.deterministic else 'stochastic'}"
        )
    process = rev.process
    sampler.check(process)
    if candidates is None:
        candidates = sampler.default_grid(process, max(CANDIDATES, 2 * steps))
    sampler.start(rev, candidates)

    def step(y: Tensor, t: Tensor, t_next: Tensor) -> Tensor:
        return sampler.step(rev, y, t, t_next, None)

    first = process.reference.sample(n, generator, device)
    return fit_grid(step, first, candidates, steps, refine)


def fit_evaluations(
    sampler: Sampler, steps: int, n: int = PILOTS, refine: int = REFINE, candidates: int = 0
) -> int:
    """Network evaluations of single rows that :func:`fitted_grid` spends fitting a ``steps``-step
    grid (default candidates: ``max(CANDIDATES, 2 steps) + 1`` times): the pilot solve, ``refine``
    steps per candidate interval, and one step between every pair of candidates, each on ``n``
    pilots and ``sampler.nfe_per_step`` evaluations a step. A one-off cost, beside the samples'."""
    size = candidates or max(CANDIDATES, 2 * steps) + 1
    moves = (size - 1) * refine + size * (size - 1) // 2
    return n * moves * int(sampler.nfe_per_step or 0)


@torch.no_grad()
def fit_grid(
    step: Step, first: Tensor, candidates: Tensor, steps: int, refine: int = REFINE
) -> Tensor:
    """The ``steps``-step grid among ``candidates`` (strictly monotone times, first and last kept)
    with the least summed mean one-step error of ``step`` against the pilot solution from the
    states ``first`` at ``candidates[0]`` (module doc); any deterministic one-step ODE solver,
    forward or backward in time. ``ValueError`` for fewer than ``steps + 1`` candidates."""
    c = candidates.to(first.dtype if first.is_floating_point() else torch.get_default_dtype())
    gaps = c[1:] - c[:-1]
    if c.ndim != 1 or steps < 1 or refine < 1 or len(c) < steps + 1:
        raise ValueError(
            f"{steps} steps (refine {refine}) need at least {steps + 1} candidate times, got "
            f"shape {tuple(c.shape)}"
        )
    if not (bool((gaps < 0).all()) or bool((gaps > 0).all())):
        raise ValueError("candidate times must be strictly monotone")
    pilots = pilot_states(step, first, c, refine)
    return c[best_path(one_step_costs(step, c, pilots), steps)]


def pilot_states(step: Step, first: Tensor, candidates: Tensor, refine: int) -> list[Tensor]:
    """The pilot states at every candidate time: ``step`` from ``first`` at ``candidates[0]``, each
    interval between candidates cut into ``refine`` equal steps."""
    states, y = [first], first
    fractions = torch.linspace(0, 1, refine + 1, dtype=candidates.dtype)[1:]
    for a, b in zip(candidates[:-1], candidates[1:]):
        times = [a, *(a + fractions[:-1] * (b - a)), b]
        for t, t_next in zip(times[:-1], times[1:]):
            y = step(y, expand_time(t, len(y), y), expand_time(t_next, len(y), y))
        states.append(y)
    return states


def one_step_costs(step: Step, candidates: Tensor, pilots: list[Tensor]) -> Tensor:
    """``C[i, j]`` (``i < j``; ``inf`` elsewhere): the mean over pilots of ``‖step(Y_i; c_i → c_j) -
    Y_j‖₂``, one step from the pilot states at ``c_i`` against those at ``c_j``."""
    size, n = len(candidates), pilots[0].shape[0]
    costs = torch.full((size, size), torch.inf, dtype=torch.float64)
    per_call = max(1, _CHUNK // n)
    for i in range(size - 1):
        for lo in range(i + 1, size, per_call):
            js = torch.arange(lo, min(size, lo + per_call))
            y = pilots[i].repeat(len(js), *([1] * (pilots[i].ndim - 1)))
            t = expand_time(candidates[i], len(y), y)
            t_next = candidates[js].repeat_interleave(n).to(t)
            moved = step(y, t, t_next)
            target = torch.cat([pilots[j] for j in js.tolist()])
            err = (moved - target).reshape(len(js), n, -1).double().norm(dim=2).mean(dim=1)
            costs[i, js] = err
    return costs


def best_path(costs: Tensor, steps: int) -> Tensor:
    """Indices ``0 = i_0 < … < i_steps = N`` minimising ``Σ_k costs[i_k, i_{k+1}]`` (exact dynamic
    programming over a ``(N + 1) × (N + 1)`` cost matrix)."""
    size = costs.shape[0]
    if steps > size - 1:
        raise ValueError(f"{steps} steps need at least {steps + 1} candidates, got {size}")
    best = torch.full((steps + 1, size), torch.inf, dtype=torch.float64)
    came = torch.zeros((steps + 1, size), dtype=torch.long)
    best[0, 0] = 0.0
    for k in range(1, steps + 1):
        total = best[k - 1][:, None] + costs  # [i, j]: reach i in k - 1 steps, then step to j
        best[k], came[k] = total.min(dim=0)
    path = [size - 1]
    for k in range(steps, 0, -1):
        path.append(int(came[k, path[-1]]))
    return torch.tensor(path[::-1])


__all__ = ["Step", "best_path", "fit_grid", "fitted_grid", "one_step_costs", "pilot_states"]
