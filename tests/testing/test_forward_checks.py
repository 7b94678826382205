"""The forward checks of the check-suite: the simulation stays finite, and p_T reaches the reference
(energy distance against its exact null mean, tolerance from the χ²_1 bound of Székely–Bakirov)."""

from __future__ import annotations

import pytest
import torch
from scipy import stats

from dmm.processes import OU, VP, Diffusion, Normal, Process
from dmm.spaces import Euclidean
from dmm.testing import check_process, check_reaches_reference, check_simulation_finite
from dmm.testing.forward_checks import chi2_1_quantile

X0 = torch.tensor([[0.5, -1.0], [1.5, 0.3]])


def _riccati(T: float = 2.0) -> Process:
    """dX = X² dt: from x_0 = 1 it explodes at t = 1."""
    block = Diffusion(drift=lambda x, t: x**2, diffusion=lambda x, t: 0.1)
    return Process(Euclidean(1), (block,), Normal((1,)), T=T, name="Riccati")


def test_chi2_quantile() -> None:
    assert chi2_1_quantile(0.999) == pytest.approx(stats.chi2.ppf(0.999, 1), rel=1e-9)
    assert chi2_1_quantile(0.95) == pytest.approx(3.841, abs=1e-3)


def test_null_statistic_has_the_noise_floor_as_its_mean() -> None:
    # OU run to T = 5 from data drawn from its reference N(0, I): p_T = q up to e^{-5}. Under the null
    # E V = (2/n) E|X - X'| (the floor the tolerance scales), so the mean of V/floor over 16 seeds
    # must be near 1 (one draw has a standard deviation of ~0.6; the mean of 16, ~0.15). A floor
    # off by 2 in either direction fails. And no draw exceeds the tolerance (10.8 floors).
    x0 = torch.randn(64, 2, generator=torch.Generator().manual_seed(0))
    ratios = []
    for seed in range(16):
        r = check_reaches_reference(OU(2), x0, n=1000, seed=seed)
        assert r.passed
        ratios.append(r.value / (r.tolerance / chi2_1_quantile(1 - 1e-3)))
    assert 0.6 < sum(ratios) / len(ratios) < 1.5


def test_reference_check_passes_a_mixed_process_and_fails_the_others() -> None:
    # measured (n = 4000, tolerance 0.0096): VP 0.00044; VP with T = 0.1 (α_T = 0.6) 0.65; a
    # reference N(0, 1.5² I) instead of N(0, I) 0.091 against 0.0145. A 10% scale error (0.0053
    # against 0.0106) is below what n = 4000 resolves; 20% (0.018 against 0.012) is caught.
    assert check_reaches_reference(VP(2), X0).passed
    short = check_reaches_reference(VP(2, T=0.1), X0)
    assert not short.passed and short.value > 10 * short.tolerance
    assert "terminal KL" in short.detail
    wide = VP(2)
    wide.reference = Normal((2,), 0.0, 1.5)
    assert not check_reaches_reference(wide, X0).passed


def test_reference_check_does_not_apply_without_a_declared_reference() -> None:
    block = Diffusion(drift=lambda x, t: -x, diffusion=lambda x, t: 1.0)
    r = check_reaches_reference(Process(Euclidean(1), (block,)), torch.zeros(3, 1))
    assert not r.applicable and "no reference" in r.detail


def test_simulation_check_reports_a_blow_up_and_passes_a_tame_process() -> None:
    r = check_simulation_finite(_riccati(), torch.ones(100, 1))
    assert not r.passed and r.value > r.tolerance == 1e8
    assert "Riccati blew up" in r.detail
    ok = check_simulation_finite(OU(2), X0.repeat(500, 1))
    assert ok.passed and ok.value < 10  # |X_t| of an OU from |x_0| <= 1.5: 6 would be a 4σ event


def test_check_process_turns_a_blow_up_into_failed_checks() -> None:
    # from x_0 = 3 the blow-up (t = 1/3) precedes every time the checks simulate to, the Dynkin
    # checks at t = 0.6 included: they fail with the watch's message instead of raising
    results = check_process(_riccati(), torch.full((4, 1), 3.0), n=400, raise_on_failure=False)
    failed = [r for r in results if r.applicable and not r.passed]
    names = {r.name for r in failed}
    assert "simulated marginals stay finite" in names
    assert "forward process reaches its reference at T" in names
    assert sum(name.startswith("Dynkin") for name in names) == 3
    assert all("blew up" in r.detail for r in failed)
    with pytest.raises(AssertionError, match="Riccati blew up"):
        check_process(_riccati(), torch.full((4, 1), 3.0), n=400)
