"""NLL bound (MATH.md §5c, §8): never below the data entropy; bounds the exact KL of the model."""

import math

import pytest
import torch

from dmm.data.digits import tiny_chain, tiny_chain_pmf
from dmm.metrics.chain_oracle import ExactChain
from dmm.metrics.chains import chain_evaluate, entropy, kl_divergence, total_variation
from dmm.networks import MLP
from dmm.processes.chains import AbsorbingChain, UniformChain
from dmm.reversal import Reversal
from dmm.scores.ratios import MeanRatios
from dmm.spaces import SupportError


def mean_model(p, seed=0, scale=0.3):
    torch.manual_seed(seed)  # test-only: parameter initialisation
    net = MLP(p.space.feature_dim, p.d * p.S, 32, 2)
    with torch.no_grad():
        net.out.weight.normal_(0, scale)
    return MeanRatios(net, p).eval()


def exact_bound(ex, model, panels=6):
    """E_{x0} of terminal + score entropy + reconstruction, all exact (nats)."""
    p = ex.process
    x0 = ex.data_states
    loss = ex.expected_loss(model, panels=panels)
    terminal = p.terminal_kl(x0).double()
    tmin = torch.full((len(ex.states),), p.t_min)
    post = model.x0_probs(ex.states, tmin).double()  # (N, d, S)
    cond = p.transition_probs(x0, torch.full((len(x0),), p.t_min)).double()  # (N0, d, n)
    # E_{y ~ p_{t_min|0}(.|x0)} of -Σ_i log p_θ(x0_i | y), summed over all joint y
    w = torch.ones(len(x0), len(ex.states), dtype=torch.float64)
    nll = torch.zeros(len(x0), len(ex.states), dtype=torch.float64)
    for i in range(p.d):
        w = w * cond[:, i, :][:, ex.states[:, i]]
        nll = nll - torch.log(post[:, i, :][:, x0[:, i]].T.clamp_min(1e-300))
    recon = (w * nll).sum(1)
    return float(ex.p0_data @ (loss + terminal + recon))


@pytest.mark.parametrize("cls", [UniformChain, AbsorbingChain])
def test_bound_exceeds_entropy_and_exact_kl(cls):
    # exact model: E bound >= H(p0); non-optimal model: exact KL(p0 || p̂) <= E bound - H(p0), p̂
    # the
    # continuous-time model's law from q decoded by sampling (integrator error < 2e-3 in TV).
    p = cls(2, 3)
    ex = ExactChain(p, torch.rand(9, generator=torch.Generator().manual_seed(5)) + 0.1)
    h = entropy(ex.p0_data)
    with torch.no_grad():
        assert exact_bound(ex, ex.model()) >= h
        model = mean_model(p)
        bound = exact_bound(ex, model)
        q = p.reference.probs64
        start = q[ex.states[:, 0]] * q[ex.states[:, 1]]
        rev = Reversal(p, model)
        p_hat = ex.decode(rev, ex.model_law(rev, start, steps=300), p.t_min)
    kl = kl_divergence(ex.p0_data, p_hat)
    assert 0 < kl <= bound - h
    assert total_variation(p_hat, ex.p0_data) > 0.01  # the model is genuinely wrong


def test_chain_evaluate_matches_exact_bound():
    # the reported bits/dim (Monte Carlo over t and y) agrees with the exact expected bound on
    # 4000 draws of tiny-chain within 4 standard errors, and is never below the entropy.
    p = UniformChain(2, 4)
    ex = ExactChain(p, tiny_chain_pmf())
    model = mean_model(p, seed=1)
    data = tiny_chain(4000, torch.Generator().manual_seed(6))
    with torch.no_grad():
        exact = exact_bound(ex, model) / (2 * math.log(2))
        res = chain_evaluate(p, model, data, n_time=2)
    assert abs(res["nll_bound_bits_per_dim"] - exact) < 4 * res["nll_bound_stderr"] + 0.01
    assert res["nll_bound_bits_per_dim"] > entropy(ex.p0_data) / (2 * math.log(2))
    parts = ("terminal", "loss", "reconstruction")
    total = sum(res[f"{k}_bits_per_dim"] for k in parts)
    assert total == pytest.approx(res["nll_bound_bits_per_dim"], rel=1e-6)


@pytest.mark.parametrize("make", [lambda: UniformChain(2, 4), lambda: AbsorbingChain(S=4, d=2)])
def test_chain_evaluate_names_data_outside_the_space(make):
    """Values >= S (and the absorbing chain's MASK, S) were a torch indexing error ('index out
    of bounds', 'Class values must be smaller than num_classes') from inside the bound."""
    p = make()
    model = mean_model(p, seed=1)
    data = torch.tensor([[0, 1], [4, 2], [3, 3]])
    with pytest.raises(SupportError, match=r"1 row\(s\): 1 .*values up to 4 need S >= 5"):
        chain_evaluate(p, model, data)
    res = chain_evaluate(p, model, data[[0, 2]].float())  # whole numbers as floats are codes
    assert math.isfinite(res["nll_bound_bits_per_dim"])
