"""Inpainting by replacement, with and without RePaint's resampling, against an exact conditional:
a two-component Gaussian mixture with the exact score, ``x_1 = 2`` given, so that
``x_2 | x_1 = 2 ~ N(2, 0.1)`` (the other component's weight is below ``e^{-70}``)."""

from __future__ import annotations

import pytest
import torch

from dmm.processes import VP, AbsorbingChain, product
from dmm.recipe import default_sampler
from dmm.reversal import Reversal
from dmm.samplers import EulerMaruyama, simulate
from dmm.samplers.inpaint import Inpaint
from dmm.spaces.base import SupportError
from dmm.testing.oracles import ExactScore, GaussianMixture

N = 2000


def _conditional(resample: int, steps: int = 100) -> torch.Tensor:
    mixture = GaussianMixture(
        torch.tensor([0.5, 0.5]), torch.tensor([[-2.0, -2.0], [2.0, 2.0]]), torch.tensor(0.1)
    )
    process = VP(2)
    rev = Reversal(process, ExactScore(process, mixture))
    g = torch.Generator().manual_seed(1)
    observed, values = torch.tensor([True, False]), torch.full((N, 2), 2.0)
    sampler = Inpaint(EulerMaruyama(), observed, values, "replace", resample)
    y = simulate(rev, sampler, N, steps, g, y_init=sampler.initial(process, N, g), denoise=True)
    assert float((y[:, 0] - 2.0).abs().max()) < 0.1  # the final denoising step moves it slightly
    return y[:, 1]


def test_resampling_reaches_the_exact_conditional():
    # tolerances: the standard errors at N = 2000 are 0.007 (mean) and 0.005 (std); the rest is
    # the 100-step discretisation (measured: mean 2.03, std 0.299)
    x = _conditional(4)
    assert abs(float(x.mean()) - 2.0) < 0.06
    assert abs(float(x.std()) - 0.1**0.5) < 0.03
    assert float((x < 0).float().mean()) == 0.0


def test_plain_replacement_is_too_wide_here():
    # the known weakness resampling fixes: the free coordinate does not agree with the given one
    # (measured: std 0.45, 0.5% of samples in the wrong component)
    assert float(_conditional(1).std()) > 0.4


def test_resampling_costs_its_repeats():
    assert (
        Inpaint(EulerMaruyama(), torch.tensor([True]), torch.zeros(1), resample=3).nfe_per_step == 3
    )
    with pytest.raises(ValueError, match="resample"):
        Inpaint(EulerMaruyama(), torch.tensor([True]), torch.zeros(1), resample=0)


@pytest.mark.parametrize(
    ("process", "values", "needle"),
    [
        (
            VP(3),
            [[2.0, float("nan"), 5.0], [0.0, 1.0, 5.0]],
            r"observed values: data has NaN or infinite values in 1 row\(s\): 0 ",
        ),
        (AbsorbingChain(3, 4), [[0.0, 1.5, 9.0]], "non-integer"),
        (AbsorbingChain(3, 4), [[0.0, 1.0, 9.0], [0.0, 7.0, 0.0]], r"outside .* in 1 row\(s\): 1 "),
        (product(AbsorbingChain(1, 4), VP(2)), [[-1.0, 0.0, 0.0]], "outside"),
    ],
)
def test_observed_values_must_be_states_of_the_process(process, values, needle):
    # only the entries under the mask are read, and only those are checked: the third
    # coordinate's value (NaN, 9) is never used, and passes
    observed, values = torch.tensor([True, True, False]), torch.tensor(values)
    sampler = default_sampler(process)
    Inpaint(sampler, observed, torch.where(observed, torch.zeros_like(values), values)).check(
        process
    )
    with pytest.raises(SupportError, match=needle):
        Inpaint(sampler, observed, values).check(process)
