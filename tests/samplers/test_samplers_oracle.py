"""Every sampler, driven by the exact score of Gaussian-mixture data, reproduces the data at the
noise floor of a two-sample metric (MATH.md §9)."""

import pytest
import torch

from dmm.metrics import energy_distance
from dmm.processes import OU, VE, VP, MissingCapability, SubVP
from dmm.reversal import Reversal
from dmm.samplers import EulerMaruyama, FlowEuler, FlowHeun, PredictorCorrector, simulate
from dmm.testing import ExactScore, standard_mixture

N = 3000


def _floor(mix, reference, g, draws=4):
    # V-statistic energy distance between independent exact samples, averaged over draws
    return (
        sum(energy_distance(mix.sample(N, g), reference, unbiased=False) for _ in range(draws))
        / draws
    )


@pytest.mark.parametrize(
    "process", [VP(2), VE(2), SubVP(2), OU(2)], ids=["vp", "ve", "subvp", "ou"]
)
@pytest.mark.parametrize(
    "sampler",
    [EulerMaruyama(), PredictorCorrector(), FlowEuler(), FlowHeun()],
    ids=["em", "pc", "ode-euler", "ode-heun"],
)
def test_exact_score_reproduces_data(process, sampler):
    # Tolerance 3x the averaged noise floor (one floor draw fluctuates by ~2x); a 20% error in the
    # score gives > 5x (see test_wrong_score_is_detected). 1000 steps keep the VE ODE's O(h) error
    # below the floor; the terminal mismatch of all four processes is < 1e-4 nats here.
    g = torch.Generator().manual_seed(0)
    mix = standard_mixture()
    rev = Reversal(process, ExactScore(process, mix))
    y = simulate(rev, sampler, N, steps=1000, generator=g, denoise=True)
    reference = mix.sample(N, g)
    floor = _floor(mix, reference, g)
    assert energy_distance(y, reference, unbiased=False) < 3 * floor


def test_wrong_score_is_detected():
    # the same check with the score scaled by 0.8 must fail by a wide margin
    g = torch.Generator().manual_seed(0)
    mix, process = standard_mixture(), VP(2)

    class Scaled(ExactScore):
        def score(self, y, t, context=None):
            return 0.8 * super().score(y, t, context)

    y = simulate(Reversal(process, Scaled(process, mix)), EulerMaruyama(), N, 500, g)
    reference = mix.sample(N, g)
    assert energy_distance(y, reference, unbiased=False) > 5 * _floor(mix, reference, g)


def test_simulate_checks_capabilities():
    from dmm.processes import SDE

    sde = SDE(lambda x, t: -x, lambda x, t: torch.ones_like(x), 2)
    mix = standard_mixture()
    rev = Reversal(sde, ExactScore(VP(2), mix))
    with pytest.raises(MissingCapability, match="denoiser"):
        simulate(rev, EulerMaruyama(), 10, 5, denoise=True)


def test_callback_sees_every_step_and_grid_ends_at_t_min():
    process, mix = VP(2), standard_mixture()
    seen = []
    simulate(
        Reversal(process, ExactScore(process, mix)),
        EulerMaruyama(),
        10,
        7,
        torch.Generator().manual_seed(0),
        callback=lambda k, t, y: seen.append((k, float(t))),
    )
    assert [k for k, _ in seen] == list(range(7))
    assert seen[-1][1] == pytest.approx(process.t_min)
