"""The watched forward simulator: Process.simulate_forward raises SimulationError, naming the
process, the time and the magnitude, when a simulated state is not finite or exceeds the
process's blow-up threshold."""

from __future__ import annotations

import math

import pytest
import torch

from dmm.processes import OU, Diffusion, Process, SimulationError
from dmm.spaces import Euclidean


def _process(drift, T: float = 2.0, steps: int = 200, name: str = "P") -> Process:
    block = Diffusion(drift=drift, diffusion=lambda x, t: 0.0)
    return Process(Euclidean(1), (block,), T=T, simulation_steps=steps, name=name)


def _run(p: Process, x0: float = 1.0, n: int = 8):
    return p.simulate_forward(torch.full((n, 1), x0), torch.tensor(p.T), None)


def test_blow_up_names_the_process_the_time_and_the_magnitude() -> None:
    # dx = x² dt from 1 explodes at t = 1; Euler with h = 0.01 crosses 1e8 a few steps later and
    # the watch (every 10 steps) reports it by t = 1.2
    p = _process(lambda x, t: x**2, name="Riccati")
    with pytest.raises(SimulationError, match=r"Riccati blew up: .* at t = 1\.\d+ \(8 of 8 rows"):
        _run(p)
    try:
        _run(p)
    except SimulationError as error:
        assert error.magnitude > 1e8 and 1.0 <= error.time <= 1.2


def test_non_finite_states_are_reported() -> None:
    # a drift that turns NaN at t = 0.5: caught at the next watched step, t = 0.6
    p = _process(lambda x, t: torch.where(t[:, None] > 0.5, math.nan, -x), T=1.0, steps=100)
    with pytest.raises(SimulationError, match=r"x is not finite at t = 0\.6"):
        _run(p)


def test_the_last_step_is_watched_and_the_threshold_is_the_process_s() -> None:
    # 3 steps (not a multiple of 10) of a constant drift 1.5e8 over T = 1: 5e7, 1e8, 1.5e8. Only the
    # final state is beyond 1e8, so only the end-of-run watch can catch it.
    p = _process(lambda x, t: torch.full_like(x, 1.5e8), T=1.0, steps=3)
    with pytest.raises(SimulationError, match=r"1\.5e\+08 at t = 1 ") as info:
        _run(p, x0=0.0)
    assert info.value.time == pytest.approx(1.0)
    p.blowup_threshold = 1e9
    assert _run(p, x0=0.0).max().item() == pytest.approx(1.5e8, rel=1e-6)


def test_a_tame_simulation_passes_untouched() -> None:
    # OU from 1e6 (below the threshold) decays; the watch is silent and the result is the
    # simulation's own
    p = OU(1)
    g = torch.Generator().manual_seed(0)
    x = p.simulate_forward(torch.full((16, 1), 1e6), torch.tensor(1.0), g, steps=50)
    assert torch.isfinite(x).all() and x.abs().max() < 1e6
