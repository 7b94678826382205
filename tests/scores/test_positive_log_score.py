"""LogScoreParam: the network predicts y ⊙ s, so DSM with D = σ² diag(y²) stays finite with data
piled up at the axes, and sampling never leaves the orthant, whatever the network outputs.
LogEpsParam: the network predicts the noise of log X_t, y ⊙ s = -1 - ε/√v_t."""

from __future__ import annotations

import pytest
import torch

from dmm.losses import DenoisingScoreMatching, eps_weighting, kl_weighting
from dmm.networks import MLP
from dmm.processes import GBM, VP, GeometricOU
from dmm.processes.base import expand_time
from dmm.reversal import Reversal
from dmm.samplers import EulerMaruyama, FlowEuler, FlowHeun, simulate
from dmm.scores import ScoreParam
from dmm.scores.log_coordinates import LogEpsParam, LogScoreParam


def _axis_data(n: int = 512) -> torch.Tensor:
    # coordinates log-uniform on [1e-8, 1e-2] ∪ a bulk near 1: most mass is piled up at the axes
    g = torch.Generator().manual_seed(0)
    tiny = 10 ** (-8 + 6 * torch.rand(n, 2, generator=g))
    bulk = 1 + 0.1 * torch.rand(n, 2, generator=g)
    pick = torch.rand(n, 2, generator=g) < 0.7
    return torch.where(pick, tiny, bulk)


def _dsm_batch(make, param, weighting):
    """A random ``param`` model on the process ``make(x0)`` of data at the axes, its per-sample
    DSM loss (generator seed 1) and the draw the loss used, recovered from the same stream:
    ``(process, model, loss, x_t, t, ε)`` with ``ε`` the standard normal noise of ``log x_t``."""
    x0 = _axis_data()
    p = make(x0)
    model = param(MLP(2, 2, 16, 1), p)
    torch.nn.init.normal_(model.net.out.weight)
    per = DenoisingScoreMatching(p, weighting).per_sample(
        model, x0, torch.Generator().manual_seed(1)
    )
    g = torch.Generator().manual_seed(1)
    t = p.sample_times(len(x0), g)
    xt = p.sample_transition(x0, t, g)
    alpha, c, v = p.log_kernel(t)
    return p, model, per, xt, t, (torch.log(xt) - alpha * torch.log(x0) - c) / v.sqrt()


def test_score_is_network_output_divided_by_y() -> None:
    p = GBM.from_data(_axis_data())
    model = LogScoreParam(MLP(2, 2, 16, 1), p)
    torch.nn.init.normal_(model.net.out.weight)
    y, t = _axis_data(8), torch.full((8,), 0.4)
    torch.testing.assert_close(model.score(y, t) * y, model.log_score(y, t))


def test_log_score_param_rejects_processes_off_the_orthant() -> None:
    with pytest.raises(TypeError, match="positive orthant"):
        LogScoreParam(MLP(2, 2, 8, 1), VP(2))
    with pytest.raises(TypeError, match="positive orthant"):
        LogEpsParam(MLP(2, 2, 8, 1), VP(2))


@pytest.mark.parametrize("make", [GBM.from_data, GeometricOU.from_data])
def test_log_eps_of_the_true_noise_is_the_conditional_score(make) -> None:
    # For one x_0 the exact noise of log X_t is (log y - α log x_0 - c)/√v: fed through the
    # parameterisation it must give the conditional score of MATH.md §6 (exact identity).
    x0 = _axis_data(64)
    p = make(x0)
    model = LogEpsParam(MLP(2, 2, 8, 1), p)
    t = torch.linspace(p.t_min, p.T, 64)
    y = p.sample_transition(x0, t, torch.Generator().manual_seed(4))
    alpha, c, v = p.log_kernel(t)
    eps = (torch.log(y) - alpha * torch.log(x0) - c) / v.sqrt()
    torch.testing.assert_close(
        model.from_raw(eps, y, t), p.conditional_score(y, x0, t), rtol=1e-4, atol=1e-6
    )


@pytest.mark.parametrize("make", [GBM.from_data, GeometricOU.from_data])
def test_log_eps_weighted_dsm_is_the_noise_prediction_loss(make) -> None:
    # λ = v_t y² and y ⊙ s_θ = -1 - ε_θ/√v_t: ℓ = ½ |ε_θ(X_t, t) - ε|² exactly, with ε the standard
    # normal draw of log X_t (recovered from the same generator stream).
    _, model, per, xt, t, eps = _dsm_batch(make, LogEpsParam, eps_weighting)
    expected = 0.5 * ((model.raw(xt, t) - eps) ** 2).sum(1)
    torch.testing.assert_close(per, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("make", [GBM.from_data, GeometricOU.from_data])
def test_kl_weighted_dsm_is_the_bounded_log_coordinate_residual(make) -> None:
    # ℓ = ½ Σ σ_i² y_i² (s_i - target_i)² = ½ Σ σ_i² (net_i - y_i target_i)², y ⊙ target =
    # -1 - (log y - mean)/v: no 1/y survives. Checked exactly on a batch with a random network.
    p, model, per, xt, t, eps = _dsm_batch(make, LogScoreParam, kl_weighting)
    y_target = -1 - eps / p.log_kernel(t)[2].sqrt()
    sig2 = p.log_sigma(t) ** 2
    expected = 0.5 * (sig2 * (model.log_score(xt, t) - y_target) ** 2).sum(1)
    torch.testing.assert_close(per, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("make", [GBM.from_data, GeometricOU.from_data])
@pytest.mark.parametrize(
    "param, weighting", [(LogScoreParam, kl_weighting), (LogEpsParam, eps_weighting)]
)
def test_training_on_data_at_the_axes_is_finite_and_learns(make, param, weighting) -> None:
    # 60 Adam steps on data with coordinates down to 1e-8: every loss and gradient finite, and the
    # mean loss of the last 10 steps below that of the first 10 (the fit improves; no clamping).
    torch.manual_seed(0)
    x0 = _axis_data()
    p = make(x0)
    model = param(MLP(2, 2, 32, 2), p)
    loss = DenoisingScoreMatching(p, weighting)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(2)
    history = []
    for _ in range(60):
        opt.zero_grad()
        value = loss(model, x0, g)
        value.backward()
        assert torch.isfinite(value)
        assert all(torch.isfinite(q.grad).all() for q in model.parameters())
        opt.step()
        history.append(value.item())
    assert sum(history[-10:]) < sum(history[:10])


@pytest.mark.parametrize("make", [GBM.from_data, GeometricOU.from_data])
@pytest.mark.parametrize("param", [LogScoreParam, LogEpsParam, ScoreParam])
def test_a_random_network_never_leaves_the_orthant(make, param) -> None:
    # A deliberately bad model (random output layer, weights ~ N(0, 3²)) driving EM, the flow ODE
    # (Euler, Heun) from the reference: every sample stays a positive finite float. With the plain
    # x-coordinate step the same model leaves the orthant (the count shows it can).
    x0 = _axis_data()
    p = make(x0)
    model = param(MLP(2, 2, 32, 2), p)
    torch.nn.init.normal_(model.net.out.weight, std=3.0)
    torch.nn.init.normal_(model.net.out.bias, std=3.0)
    rev = Reversal(p, model)
    for sampler in (EulerMaruyama(), FlowEuler(), FlowHeun()):
        y = simulate(rev, sampler, 500, 50, torch.Generator().manual_seed(3))
        assert torch.isfinite(y).all() and (y > 0).all(), type(sampler).__name__
        assert not p.space.outside(y).any()  # inside the float-safe range validate() accepts
    plain = Reversal(p.with_log_step(False), model)
    y = simulate(plain, EulerMaruyama(), 500, 50, torch.Generator().manual_seed(3))
    assert (~torch.isfinite(y).all(1) | (y <= 0).any(1)).any()


def test_denoise_is_exact_tweedie_in_log_coordinates() -> None:
    # For point-mass data the model-free Tweedie step maps any y back to x0 exactly.
    p = GeometricOU(2, theta=0.7, m=0.3, sigma=0.9, T=2.0)
    x0 = torch.tensor([[0.01, 5.0]])

    class Oracle(torch.nn.Module):
        def score(self, y, t, context=None):
            return p.conditional_score(y, x0.expand_as(y), t)

    y = torch.rand(10, 2) * 4 + 0.01
    out = p.denoise(Reversal(p, Oracle()), y, expand_time(0.37, 10, y))
    torch.testing.assert_close(out, x0.expand_as(y), rtol=1e-4, atol=0)
