"""Denoising score entropy (MATH.md §4, §5c) against exact joint-space quadrature."""

import pytest
import torch

from dmm.losses import MaskedELBO, ScoreEntropy
from dmm.metrics.chain_oracle import ExactChain
from dmm.networks import MLP
from dmm.processes import VP, MissingCapability
from dmm.processes.chains import AbsorbingChain, OrdinalChain, UniformChain
from dmm.scores.ratios import DirectRatios, MeanRatios

PROCESSES = {
    "uniform": lambda: UniformChain(2, 3),
    "absorbing": lambda: AbsorbingChain(2, 3),
    "ordinal": lambda: OrdinalChain(2, 3),
}


def random_model(p, cls, seed=0):
    """A non-optimal model: an MLP with a randomised (not zero) head."""
    torch.manual_seed(seed)  # test-only: parameter initialisation
    out = p.S if cls is MeanRatios else p.n_states
    net = MLP(p.space.feature_dim, p.d * out, 32, 2)
    with torch.no_grad():
        net.out.weight.normal_(0, 0.3)
        net.out.bias.normal_(0, 0.3)
    return cls(net, p).eval()


def p0_random(p, seed=6):
    return torch.rand(p.S**p.d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@pytest.mark.parametrize("name", PROCESSES)
@pytest.mark.parametrize("cls", [MeanRatios, DirectRatios])
def test_loss_minus_optimum_is_exact_path_kl(name, cls):
    # E_{x0} ℓ_θ(x0) - E_{x0} ℓ_exact(x0) = ∫ E_{p_t} I_θ dt (MATH.md §4 with the exact marginal
    # ratios): the identity holds at every quadrature node, so the tolerance is float32 round-off
    # (1e-4 relative). Also: ℓ_exact's path KL is 0 and ℓ_θ ≥ 0 for every data state.
    p = PROCESSES[name]()
    ex = ExactChain(p, p0_random(p))
    model = random_model(p, cls)
    with torch.no_grad():
        loss_theta = ex.expected_loss(model, panels=6)
        loss_exact = ex.expected_loss(ex.model(), panels=6)
        kl = ex.path_kl(model, panels=6)
        kl_exact = ex.path_kl(ex.model(), panels=6)
    gap = float(ex.p0_data @ (loss_theta - loss_exact))
    assert kl > 0.05  # the model is genuinely non-optimal
    assert gap == pytest.approx(kl, rel=1e-4)
    assert abs(kl_exact) < 1e-4 * kl
    assert (loss_theta >= 0).all() and (loss_exact >= 0).all()


@pytest.mark.parametrize("name", PROCESSES)
def test_monte_carlo_loss_matches_quadrature(name):
    # the training loss (t ~ U, y ~ p_{t|0}) is an unbiased estimate of the exact ℓ(x0): for a point
    # mass x0 it also equals the path KL. Tolerance: 4 standard errors of the 20000-sample mean.
    p = PROCESSES[name]()
    model = random_model(p, MeanRatios, seed=1)
    x0 = torch.tensor([[2, 0]])
    pm = torch.zeros(p.S**p.d, dtype=torch.float64)
    pm[2 * p.S + 0] = 1.0
    ex = ExactChain(p, pm)
    with torch.no_grad():
        exact = float(ex.expected_loss(model, panels=6)[2 * p.S])
        kl = ex.path_kl(model, panels=6)
        per = ScoreEntropy(p).per_sample(
            model, x0.expand(20000, 2), torch.Generator().manual_seed(7)
        )
    assert exact == pytest.approx(kl, rel=1e-4)
    assert (per >= -1e-5).all()
    se = per.double().std().item() / 20000**0.5
    assert abs(per.double().mean().item() - exact) < 4 * se


def test_masked_elbo_equals_score_entropy_per_sample():
    # same generator seed -> same (t, y); the absorbing score entropy with MeanRatios reduces to the
    # masked ELBO sample by sample (MATH.md §5c); float32 tolerance.
    p = AbsorbingChain(4, 5)
    model = random_model(p, MeanRatios, seed=2)
    x0 = torch.randint(0, 5, (512, 4), generator=torch.Generator().manual_seed(8))
    with torch.no_grad():
        a = ScoreEntropy(p).per_sample(model, x0, torch.Generator().manual_seed(9))
        b = MaskedELBO(p).per_sample(model, x0, torch.Generator().manual_seed(9))
    assert torch.allclose(a, b, rtol=1e-4, atol=1e-4)


def test_score_entropy_gradients_are_finite():
    # the absorbing chain has zero ratios (log ρ = -inf before clamping); gradients must stay finite
    p = AbsorbingChain(3, 4)
    model = random_model(p, MeanRatios, seed=3).train()
    x0 = torch.randint(0, 4, (64, 3), generator=torch.Generator().manual_seed(10))
    ScoreEntropy(p)(model, x0, torch.Generator().manual_seed(11)).backward()
    assert all(torch.isfinite(q.grad).all() for q in model.parameters() if q.grad is not None)


def test_score_entropy_needs_a_chain():
    with pytest.raises(MissingCapability, match="Chain"):
        ScoreEntropy(VP(2))
    with pytest.raises(TypeError, match="AbsorbingChain"):
        MaskedELBO(UniformChain(2, 3))


@pytest.mark.parametrize("name", PROCESSES)
def test_implicit_form_differs_from_the_path_kl_by_a_constant(name):
    # no kernel needed: (T - t_min) E[ℓ_θ - ℓ_exact] = path KL of θ (MATH.md §4), with common random
    # numbers for both models. Tolerance: 4 standard errors of the 40000-sample mean of the
    # difference (plus 2% for the quadrature of the exact path KL).
    from dmm.losses import ImplicitScoreEntropyChain
    from dmm.metrics.chain_oracle import joint_states

    p = PROCESSES[name]()
    ex = ExactChain(p, p0_random(p))
    model = random_model(p, MeanRatios, seed=4)
    states = joint_states(p.d, p.S)
    rows = torch.multinomial(ex.p0_data.float(), 40000, replacement=True,
                             generator=torch.Generator().manual_seed(5))  # fmt: skip
    x0 = states[rows]
    loss = ImplicitScoreEntropyChain(p)
    with torch.no_grad():
        a = loss.per_sample(model, x0, torch.Generator().manual_seed(6))
        b = loss.per_sample(ex.model(), x0, torch.Generator().manual_seed(6))
        kl = ex.path_kl(model, panels=6)
    diff = (p.T - p.t_min) * (a - b).double()
    se = diff.std().item() / diff.numel() ** 0.5
    assert kl > 0.05
    assert abs(diff.mean().item() - kl) < 4 * se + 0.02 * kl, (diff.mean().item(), kl, se)
