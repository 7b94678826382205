"""Chain parameterisations (MATH.md §3): the mean parameterisation's ratios are the §3 sum, and the
posterior implied by any ratios is the exact posterior when the ratios are exact."""

import pytest
import torch

from dmm.metrics.chain_oracle import ExactChain
from dmm.networks import MLP
from dmm.processes import VP
from dmm.processes.chains import AbsorbingChain, OrdinalChain, UniformChain
from dmm.scores.ratios import DirectRatios, MeanRatios

PROCESSES = {
    "uniform": lambda: UniformChain(2, 3),
    "absorbing": lambda: AbsorbingChain(2, 3),
    "ordinal": lambda: OrdinalChain(2, 4),
}


class FixedNet(torch.nn.Module):
    """A 'network' returning given outputs (to feed exact log-ratios to DirectRatios)."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x, t, context=None):
        return self.fn(t)


def mean_model(p, seed=0):
    torch.manual_seed(seed)  # test-only: parameter initialisation
    net = MLP(p.space.feature_dim, p.d * p.S, 32, 2)
    with torch.no_grad():
        net.out.weight.normal_(0, 0.5)
    return MeanRatios(net, p)


@pytest.mark.parametrize("name", PROCESSES)
def test_mean_ratios_are_the_posterior_sum(name):
    # ρ_v = Σ_a p_θ(a|y) p_{t|0}(v|a) / p_{t|0}(y_i|a), computed term by term in float64 (rtol 1e-4)
    p = PROCESSES[name]()
    model = mean_model(p)
    g = torch.Generator().manual_seed(1)
    y = torch.randint(0, p.n_states, (64, 2), generator=g)
    t = 0.05 + 0.9 * torch.rand(64, generator=g)
    with torch.no_grad():
        rho, post = model.ratios(y, t).double(), model.x0_probs(y, t).double()
    P = p.chain.transition_matrix(p.chain.integral(t))[:, : p.S, :]  # (b, a, v)
    Py = torch.gather(P, 2, y[:, None, :].expand(-1, p.S, -1)).transpose(1, 2)  # (b, i, a)
    direct = torch.einsum("bia,bav->biv", post / Py.clamp_min(1e-300), P)
    keep = Py.min(-1).values > 0  # for MASK-free rows of the absorbing chain the sum is finite
    assert torch.allclose(rho[keep], direct[keep].clamp_max(1e13), rtol=1e-4, atol=1e-6)
    assert torch.allclose(post.sum(-1), torch.ones(64, 2, dtype=torch.float64))


@pytest.mark.parametrize("name", PROCESSES)
def test_posterior_from_exact_ratios_is_exact(name):
    # generic inversion p(a|y) ∝ (ρ e^{-BR})_a e^{BR}(a, y_i) recovers the exact posterior from the
    # exact ratios (float32 ratios; atol 1e-3 in probability)
    p = PROCESSES[name]()
    ex = ExactChain(p, torch.rand(p.S**p.d, generator=torch.Generator().manual_seed(2)))
    y = ex.states
    t = torch.full((len(y),), 0.3)
    model = DirectRatios(FixedNet(lambda tt: ex.log_ratios(y, tt).reshape(len(y), -1)), p)
    with torch.no_grad():
        post = model.x0_probs(y, t)
    assert torch.allclose(post, ex.x0_probs(y, t), atol=1e-3)
    assert (model.ratios(y, t).gather(-1, y[..., None]) == 1).all()


def test_ratio_models_need_a_chain():
    with pytest.raises(TypeError, match="chain"):
        MeanRatios(torch.nn.Identity(), VP(2))
