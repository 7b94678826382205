"""DSM and ISM against exact scores: the DSM gradient vanishes at the truth, and ISM differs from the
score-error functional ½E|s_θ - ∇log p_t|²_D by a θ-free constant (MATH.md §5a, §5b, §9)."""

import pytest
import torch
from torch import nn

from dmm.losses import DenoisingScoreMatching, ImplicitScoreMatching, eps_weighting, kl_weighting
from dmm.processes import SDE, VP, Diffusion, MissingCapability
from dmm.testing import ExactScore, standard_mixture


class ScaledExact(nn.Module):
    """``s = c · ∇log p_t`` with a learnable scalar ``c`` (c = 1 is the truth)."""

    def __init__(self, process, mix, c: float) -> None:
        super().__init__()
        self.exact = ExactScore(process, mix)
        self.c = nn.Parameter(torch.tensor(c))

    def score(self, y, t, context=None):
        return self.c * self.exact.score(y, t)


class PerSampleScaledExact(nn.Module):
    """``s_i = c_i · ∇log p_t`` with one scale per batch row, so that one backward pass gives every
    per-sample derivative ``∂ℓ_i / ∂c_i``."""

    def __init__(self, process, mix, c: torch.Tensor) -> None:
        super().__init__()
        self.exact = ExactScore(process, mix)
        self.c = c

    def score(self, y, t, context=None):
        return self.c[:, None] * self.exact.score(y, t)


@pytest.mark.parametrize("weighting", [kl_weighting, eps_weighting], ids=["kl", "eps"])
def test_dsm_gradient_vanishes_at_exact_score(weighting):
    # d loss / dc at c = 1 is zero in expectation. Estimate it per sample and test |mean| < 4 SE;
    # at c = 1.3 it must be positive by more than 10 SE.
    process, mix = VP(2), standard_mixture()
    loss = DenoisingScoreMatching(process, weighting)
    g = torch.Generator().manual_seed(0)
    x0 = mix.sample(20000, g)
    for value, check in ((1.0, "zero"), (1.3, "positive")):
        c = torch.full((len(x0),), value, requires_grad=True)
        per = loss.per_sample(PerSampleScaledExact(process, mix, c), x0, g)
        (grads,) = torch.autograd.grad(per.sum(), c)
        mean, se = grads.mean().item(), grads.std().item() / len(grads) ** 0.5
        if check == "zero":
            assert abs(mean) < 4 * se
        else:
            assert mean > 10 * se


def _score_error(process, model, exact, x0, g):
    # ½ E |s_θ - ∇log p_t|²_D at the same (t, x_t) law the losses use
    t = process.sample_times(x0.shape[0], g)
    xt = process.sample_transition(x0, t, g)
    diff = model.score(xt, t) - exact.score(xt, t)
    return (
        0.5
        * (process.block(Diffusion).diffusion_matrix_diag(process.space, xt, t) * diff**2)
        .sum(1)
        .mean()
        .item()
    )


@pytest.mark.parametrize("divergence", ["exact", "hutchinson"])
def test_ism_equals_score_error_up_to_a_constant(divergence):
    # ISM(model) - ISM(truth) = ½E|s_θ - ∇log p_t|²_D. Both sides by Monte Carlo with n = 40000 and
    # t restricted to [0.2, 1] to keep the variance moderate; tolerance 10% relative.
    process, mix = VP(2, t_min=0.2), standard_mixture()
    exact = ExactScore(process, mix)
    loss = ImplicitScoreMatching(process, divergence)
    g = torch.Generator().manual_seed(0)
    x0 = mix.sample(40000, g)
    truth = ScaledExact(process, mix, 1.0)
    model = ScaledExact(process, mix, 0.6)
    gap = (
        loss(model, x0, torch.Generator().manual_seed(1))
        - loss(truth, x0, torch.Generator().manual_seed(1))
    ).item()
    expected = _score_error(process, model, exact, x0, g)
    assert gap == pytest.approx(expected, rel=0.1)


def test_ism_trains_a_process_with_no_kernel():
    # ISM only needs samples: a user SDE has no exact transition, so DSM must refuse it
    sde = SDE(
        lambda x, t: -x, lambda x, t: torch.full_like(x, 2**0.5), 2, state_dependent_diffusion=False
    )
    with pytest.raises(MissingCapability, match="exact transition"):
        DenoisingScoreMatching(sde)
    mix = standard_mixture()
    model = ScaledExact(VP(2), mix, 1.0)
    value = ImplicitScoreMatching(sde)(model, mix.sample(64), torch.Generator().manual_seed(0))
    assert torch.isfinite(value)


def test_ism_state_dependent_diffusion_divergence():
    # ∇·(D s) must include ∂D/∂x: for s = 0 the quadratic term vanishes and E[∇·(D s)] = 0, but with
    # s = 1 (constant) ∇·(D s) = Σ_i ∂_i σ_i(x)² = Σ_i 2 x_i for σ = x, exactly.
    sde = SDE(lambda x, t: -x, lambda x, t: x, 2)

    class One(nn.Module):
        def score(self, y, t, context=None):
            return torch.ones_like(y)

    loss = ImplicitScoreMatching(sde)
    x0 = torch.randn(256, 2, generator=torch.Generator().manual_seed(0))
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    value = loss.per_sample(One(), x0, g1)
    t = sde.sample_times(256, g2)
    xt = sde.sample_marginal(x0, t, g2)
    expected = 0.5 * (xt**2).sum(1) + 2 * xt.sum(1)
    torch.testing.assert_close(value, expected, rtol=1e-5, atol=1e-5)
