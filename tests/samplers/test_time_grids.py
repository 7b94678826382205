"""Time grids: uniform, uniform in log-SNR and the EDM ρ-grid, for every Gaussian-kernel process."""

import pytest
import torch

from dmm.processes import OU, SDE, VE, VP, MissingCapability, SubVP
from dmm.reversal import Reversal
from dmm.samplers import (
    DPMSolver2M,
    EulerMaruyama,
    PredictorCorrector,
    edm_grid,
    log_snr,
    logsnr_grid,
    simulate,
    straight_grid,
    time_grid,
)
from dmm.testing import ExactScore, standard_mixture

PROCESSES = [VP(2), VE(2), SubVP(2), OU(2)]
IDS = ["vp", "ve", "subvp", "ou"]
F64 = torch.float64


@pytest.mark.parametrize(
    "grid",
    [time_grid, logsnr_grid, edm_grid, straight_grid],
    ids=["uniform", "logsnr", "edm", "straight"],
)
@pytest.mark.parametrize("process", PROCESSES, ids=IDS)
def test_monotone_with_exact_endpoints(process, grid):
    g = grid(process, 12, dtype=F64)
    assert g.shape == (13,) and g.dtype == F64
    assert g[0].item() == process.T and g[-1].item() == process.t_min
    assert bool((g[1:] < g[:-1]).all())
    part = grid(process, 5, t_start=0.8, t_end=0.1, dtype=F64)
    assert part[0].item() == 0.8 and part[-1].item() == 0.1 and bool((part[1:] < part[:-1]).all())


@pytest.mark.parametrize("process", PROCESSES, ids=IDS)
def test_straight_spacing_is_uniform_in_the_straight_time(process):
    # u = s/(α + s) = σ/(1 + σ): its steps agree to 1e-9 after the bisection
    a, s = process.kernel(straight_grid(process, 20, dtype=F64))
    steps = (s / (a + s)).diff()
    torch.testing.assert_close(steps, steps.mean().expand(20), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("process", PROCESSES, ids=IDS)
def test_logsnr_spacing_is_uniform(process):
    # bisection to 2^-64 of the horizon: the λ steps agree to 1e-9 (they are ~1 apart)
    lam = log_snr(process, logsnr_grid(process, 20, dtype=F64))
    steps = lam[1:] - lam[:-1]
    assert bool((steps > 0).all())
    torch.testing.assert_close(steps, steps.mean().expand(20), rtol=0, atol=1e-9)


@pytest.mark.parametrize("process", PROCESSES, ids=IDS)
def test_edm_spacing_is_uniform_in_sigma_to_the_one_over_rho(process):
    g = edm_grid(process, 20, dtype=F64)
    sigma = torch.exp(-log_snr(process, g))  # σ_t = s_t / α_t
    u = sigma ** (1 / 7)
    steps = u[1:] - u[:-1]
    torch.testing.assert_close(steps, steps.mean().expand(20), rtol=0, atol=1e-10)
    # ρ = 7 puts more of the steps at low noise than the log-SNR grid's half
    lam, lo, hi = log_snr(process, g), log_snr(process, g[:1]), log_snr(process, g[-1:])
    assert int((lam > (lo + hi) / 2).sum()) < 10


def test_bad_arguments_and_processes_without_a_gaussian_kernel():
    with pytest.raises(ValueError, match="steps"):
        logsnr_grid(VP(2), 0)
    with pytest.raises(ValueError, match="t_start > t_end"):
        edm_grid(VP(2), 4, t_start=0.2, t_end=0.5)
    with pytest.raises(ValueError, match="rho"):
        edm_grid(VP(2), 4, rho=0)
    sde = SDE(lambda x, t: -x, lambda x, t: torch.ones_like(x), 2)
    for grid in (logsnr_grid, edm_grid):
        with pytest.raises(MissingCapability, match="Gaussian in some coordinates"):
            grid(sde, 4)


def test_simulate_uses_the_sampler_default_grid():
    # a grid passed to simulate wins; without one, DPM-Solver uses log-SNR, Euler–Maruyama and
    # predictor–corrector stay uniform in time unless given a grid of their own
    process = VP(2)
    rev = Reversal(process, ExactScore(process, standard_mixture()))
    for sampler, expected in (
        (DPMSolver2M(), logsnr_grid(process, 6)),
        (EulerMaruyama(), time_grid(process, 6)),
        (EulerMaruyama(grid=logsnr_grid), logsnr_grid(process, 6)),
        (PredictorCorrector(), time_grid(process, 6)),
        (PredictorCorrector(grid=straight_grid), straight_grid(process, 6)),
    ):
        seen = []
        simulate(
            rev,
            sampler,
            8,
            6,
            torch.Generator().manual_seed(0),
            callback=lambda k, t, y, seen=seen: seen.append(float(t)),
        )
        torch.testing.assert_close(torch.tensor(seen), expected[1:])
