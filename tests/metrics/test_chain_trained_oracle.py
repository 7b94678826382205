"""A trained model on the tiny exact case (issue 4, 'what it must show'): the exact KL(p_data || p̂)
is at most terminal + loss + reconstruction, and the samplers' extra error shrinks with steps."""

import pytest
import torch

from dmm.data.digits import tiny_chain, tiny_chain_pmf
from dmm.losses import ScoreEntropy
from dmm.metrics.chain_oracle import ExactChain
from dmm.metrics.chains import entropy, kl_divergence
from dmm.networks import MLP
from dmm.processes.chains import UniformChain
from dmm.reversal import Reversal
from dmm.samplers.base import time_grid
from dmm.samplers.chains import TweedieStep
from dmm.scores.ratios import MeanRatios
from dmm.training import TrainConfig, train


@pytest.mark.slow
def test_trained_model_kl_within_bound():
    # ~40 s on one core. All KLs and the bound are exact (joint-space quadrature / linear algebra);
    # only the model is learned. Margins: the sampler KL must drop 8 -> 64 steps by > 2x and end
    # within 2x of the continuous-time KL.
    torch.manual_seed(0)  # test-only: parameter initialisation
    p = UniformChain(2, 4)
    ex = ExactChain(p, tiny_chain_pmf())
    model = MeanRatios(MLP(p.space.feature_dim, p.d * p.S, 64, 2), p)
    data = tiny_chain(20000, torch.Generator().manual_seed(1))
    cfg = TrainConfig(
        steps=800,
        batch_size=256,
        lr=2e-3,
        warmup=50,
        ema_decay=0.99,
        log_every=400,
        val_every=10**9,
        checkpoint_every=10**9,
    )
    ema = train(model, ScoreEntropy(p), data, cfg).ema.eval()
    with torch.no_grad():
        x0 = ex.data_states
        loss = float(ex.p0_data @ ex.expected_loss(ema, panels=8))
        terminal = float(ex.p0_data @ p.terminal_kl(x0).double())
        post = ema.x0_probs(ex.states, torch.full((len(ex.states),), p.t_min)).double()
        cond = p.transition_probs(x0, torch.full((len(x0),), p.t_min)).double()
        w = torch.ones(len(x0), len(ex.states), dtype=torch.float64)
        nll = torch.zeros_like(w)
        for i in range(p.d):
            w = w * cond[:, i, :][:, ex.states[:, i]]
            nll = nll - torch.log(post[:, i, :][:, x0[:, i]].T.clamp_min(1e-300))
        recon = float(ex.p0_data @ (w * nll).sum(1))
        rev = Reversal(p, ema)
        q = p.reference.probs64
        start = q[ex.states[:, 0]] * q[ex.states[:, 1]]
        kl_cont = kl_divergence(ex.p0_data, ex.decode(rev, ex.model_law(rev, start, 400), p.t_min))
        kl_steps = {
            k: kl_divergence(
                ex.p0_data,
                ex.decode(rev, ex.sampler_law(rev, TweedieStep(), start, time_grid(p, k)), p.t_min),
            )
            for k in (8, 64)
        }
    slack = terminal + loss + recon - entropy(ex.p0_data)
    assert 0 < kl_cont <= slack
    assert kl_steps[64] < kl_steps[8] / 2
    assert kl_steps[64] < 2 * kl_cont + 1e-3
