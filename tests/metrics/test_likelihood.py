"""The probability-flow log-likelihood against the exact density of a diffused Gaussian mixture."""

import pytest
import torch

from dmm.metrics.likelihood import field_and_divergence, flow_log_likelihood
from dmm.processes import VP, CosineSchedule
from dmm.reversal import Reversal
from dmm.testing import ExactScore, standard_mixture

pytest.importorskip("torchdiffeq")  # the 'likelihood' extra (part of 'dev')


def test_divergence_of_a_linear_field_is_its_trace():
    a = torch.tensor([[1.0, 2.0, 0.0], [0.5, -3.0, 1.0], [0.0, 4.0, 0.25]], dtype=torch.float64)
    y = torch.randn(5, 3, dtype=torch.float64)
    v, div = field_and_divergence(lambda z: z @ a.T + z**2, y)
    torch.testing.assert_close(v, y @ a.T + y**2)
    torch.testing.assert_close(div, torch.full((5,), -1.75, dtype=torch.float64) + 2 * y.sum(1))


@pytest.mark.parametrize("process", [VP(2), VP(2, CosineSchedule())], ids=["linear", "cosine"])
def test_exact_score_gives_the_exact_log_density_at_t_min(process):
    # With the exact score the flow carries p_{t_min} onto p_T, so with p_T's own density at T
    # the ODE returns log p_{t_min}(x) exactly, up to the solver's tolerance (rtol = atol = 1e-7
    # here; measured errors 1e-6 and 1e-5 nats, bound 1e-3).
    mix = standard_mixture()
    rev = Reversal(process, ExactScore(process, mix))
    x = mix.sample(64, torch.Generator().manual_seed(0)).double() * 1.2  # also off the modes
    t0 = torch.full((64,), process.t_min, dtype=torch.float64)
    tT = torch.full((64,), process.T, dtype=torch.float64)
    exact = mix.log_prob(x, *process.kernel(t0))
    out = flow_log_likelihood(
        rev, x, terminal=lambda y: mix.log_prob(y, *process.kernel(tT)), rtol=1e-7, atol=1e-7
    )
    assert (out.log_prob - exact).abs().max() < 1e-3
    assert out.nfe > 10
    # with the reference N(0, I) at T instead, the value moves by the terminal mismatch only
    # (α_T ≈ 0.007: measured 0.026 nats at most over these rows, bound 0.05)
    plain = flow_log_likelihood(rev, x, rtol=1e-7, atol=1e-7).log_prob
    assert (plain - exact).abs().max() < 0.05


def test_it_needs_rows():
    rev = Reversal(VP(2), ExactScore(VP(2), standard_mixture()))
    with pytest.raises(ValueError, match=r"shape \(n, d\)"):
        flow_log_likelihood(rev, torch.zeros(2, 2, 1))
