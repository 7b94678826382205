"""DSM's regression targets: the conditional score and the batch posterior (stable target field)
against the exact score of a Gaussian mixture (MATH.md §9)."""

import pytest
import torch

from dmm.cli.catalog import build
from dmm.losses import (
    DenoisingScoreMatching,
    StraightPathTimes,
    batch_posterior_target,
    conditional_target,
    eps_weighting,
    straight_weighting,
    velocity_weighting,
)
from dmm.losses.base import Noised
from dmm.networks import MLP
from dmm.processes import GBM, VP, CosineSchedule, GeometricOU, MissingCapability, TorusJump
from dmm.scores import VelocityParam
from dmm.testing import standard_mixture


def _draw(process, n, t, seed=0):
    g = torch.Generator().manual_seed(seed)
    mix = standard_mixture()
    x0 = mix.sample(n, g)
    times = torch.full((n,), t)
    xt = process.sample_transition(x0, times, g)
    exact = mix.score(xt, *process.kernel(times))
    return x0, xt, times, exact


@pytest.mark.parametrize("t", [0.1, 0.3, 0.6])
def test_batch_posterior_is_close_to_the_exact_score(t):
    # With 4000 reference rows the self-normalised posterior mean is a Monte Carlo estimate of
    # E[∇log p(x_t|X_0) | x_t] = ∇log p_t(x_t) with thousands of effective rows at these times,
    # while one row's conditional score carries the full noise of its draw. Measured mean square
    # errors relative to the conditional target's: 0.003, 1e-4 and 5e-5; the bound 0.1 leaves a
    # factor 30 at the narrowest time.
    process = VP(2)
    x0, xt, times, exact = _draw(process, 4000, t)
    stf = batch_posterior_target(process, xt, x0, times)
    dsm = conditional_target(process, xt, x0, times)
    mse_stf = ((stf - exact) ** 2).sum(1).mean()
    mse_dsm = ((dsm - exact) ** 2).sum(1).mean()
    assert mse_stf < 0.1 * mse_dsm


def test_batch_posterior_is_the_conditional_score_where_the_kernel_is_narrow():
    # rows on a lattice of spacing 0.1; at t = 1e-4 (s_t ≈ 0.003) the nearest other row is 30
    # kernel widths away, so its weight is below e^-400 (random rows would sometimes fall within
    # a kernel width of each other and genuinely share the posterior)
    process = VP(2)
    axis = torch.linspace(-1.0, 1.0, 21)
    x0 = torch.cartesian_prod(axis, axis)
    times = torch.full((len(x0),), 1e-4)
    xt = process.sample_transition(x0, times, torch.Generator().manual_seed(0))
    torch.testing.assert_close(
        batch_posterior_target(process, xt, x0, times),
        conditional_target(process, xt, x0, times),
        rtol=1e-4,
        atol=1e-3,
    )


def test_context_restricts_the_posterior_to_rows_of_the_same_context():
    process = VP(2)
    x0, xt, times, _ = _draw(process, 600, 0.5)
    times = torch.linspace(0.05, 0.95, 600)  # per-row times
    xt = process.sample_transition(x0, times, torch.Generator().manual_seed(1))
    # every row its own context: the target is each row's conditional score
    alone = torch.arange(600.0)[:, None]
    torch.testing.assert_close(
        batch_posterior_target(process, xt, x0, times, alone),
        conditional_target(process, xt, x0, times),
    )
    # two labels (one-hot rows): the target equals the posterior within each label's rows
    label = torch.arange(600) % 2
    onehot = torch.nn.functional.one_hot(label, 2).float()
    joint = batch_posterior_target(process, xt, x0, times, onehot)
    for k in (0, 1):
        rows = label == k
        alone_k = batch_posterior_target(process, xt[rows], x0[rows], times[rows])
        torch.testing.assert_close(joint[rows], alone_k, rtol=1e-4, atol=1e-4)  # summation order
    assert not torch.allclose(joint, batch_posterior_target(process, xt, x0, times))


@pytest.mark.parametrize("t", [0.1, 0.3, 0.6])
def test_batch_posterior_in_log_coordinates_is_close_to_the_exact_score(t):
    # GBM with σ = 1, μ = σ²/2: log X_t = log x_0 + √t ξ, so with log X_0 drawn from the standard
    # mixture, log X_t is that mixture diffused with α = 1, s = √t, and the exact score in x is
    # (∇_z log p_t(z) - 1)/x at z = log x. Compared in log coordinates (x ⊙ score), where the
    # conditional target's noise is of order 1/√t; measured relative mean square errors 2e-3,
    # 1e-4 and 4e-5, the bound 0.1 leaves a factor 50.
    process = GBM(2)
    g = torch.Generator().manual_seed(0)
    mix = standard_mixture()
    x0 = torch.exp(mix.sample(4000, g))
    times = torch.full((4000,), t)
    xt = process.sample_transition(x0, times, g)
    exact = mix.score(torch.log(xt), torch.ones(4000), times.sqrt()) - 1
    stf = xt * batch_posterior_target(process, xt, x0, times)
    dsm = xt * conditional_target(process, xt, x0, times)
    mse_stf = ((stf - exact) ** 2).sum(1).mean()
    mse_dsm = ((dsm - exact) ** 2).sum(1).mean()
    assert mse_stf < 0.1 * mse_dsm


def test_batch_posterior_in_log_coordinates_is_the_conditional_score_where_narrow():
    # float64: at t = 1e-5 both targets are of size 1e3 in log coordinates, and float32 rounding
    # alone moves them by ~1e-3 relative (they are computed in different coordinates)
    g = torch.Generator().manual_seed(0)
    process = GeometricOU.from_data(torch.exp(torch.randn(256, 3, generator=g)).double())
    axis = torch.linspace(-1.0, 1.0, 21, dtype=torch.float64)
    x0 = torch.exp(torch.cartesian_prod(axis, axis, torch.zeros(1, dtype=torch.float64)))
    times = torch.full((len(x0),), 1e-5, dtype=torch.float64)
    xt = process.sample_transition(x0, times, torch.Generator().manual_seed(0))
    torch.testing.assert_close(
        xt * batch_posterior_target(process, xt, x0, times),
        xt * conditional_target(process, xt, x0, times),
        rtol=1e-6,  # the process keeps its parameters in float32
        atol=1e-6,
    )


def test_batch_posterior_needs_a_kernel_gaussian_in_some_coordinates():
    process = TorusJump(2)
    x0 = torch.rand(8, 2)
    t = torch.full((8,), 0.5)
    with pytest.raises(MissingCapability, match="Gaussian in some coordinates"):
        batch_posterior_target(process, x0, x0, t)


def _positive_rows(n, g):
    return torch.exp(0.5 * torch.randn(n, 2, dtype=torch.float64, generator=g) + 1.0)


def _velocity_at(model, x0, t, g):
    """``(kernel, u_0, ε, x_t, v_θ(x_t, t))`` for a fresh draw of ``x_t`` at the times ``t``."""
    process = model.process
    eps = torch.randn(*x0.shape, dtype=torch.float64, generator=g)
    kernel = process.gaussian_coordinates(t)
    a, s = kernel.isotropic("test")
    u0 = kernel.coords.to(x0)
    xt = kernel.coords.back(a * u0 + kernel.shift + s * eps)
    return kernel, u0, eps, xt, model.net(model.features(xt, t), t / process.T, None)


@pytest.mark.parametrize(
    "make, rows",
    [
        (lambda x: VP(2, CosineSchedule()), lambda n, g: torch.randn(n, 2, generator=g).double()),
        (lambda x: GBM.from_data(x), _positive_rows),
        (lambda x: GeometricOU.from_data(x, theta=0.5), _positive_rows),
    ],
    ids=["vp", "gbm", "geometric-ou"],
)
def test_straight_weighting_with_velocity_is_the_flow_matching_loss(make, rows):
    # drawn from StraightPathTimes, each row's DSM term under straight_weighting with the velocity
    # parameterisation is ½|v_θ - (ε - u_0)|², conditional flow matching's regression in the
    # kernel's coordinates u (x for vp, the standardised log x for the orthant diffusions);
    # exact algebra: float64, tolerance at rounding level
    g = torch.Generator().manual_seed(0)
    x0 = rows(64, g)
    process = make(x0)
    torch.manual_seed(0)
    model = VelocityParam(MLP(2, 2, hidden=16, depth=1), process).double()
    loss = DenoisingScoreMatching(process, straight_weighting).with_times(StraightPathTimes())
    t = loss.times.draw(process, 64, g)[0].double()
    w = 1 / ((process.T - process.t_min) * loss.times.density(process, t))
    kernel, u0, eps, xt, v = _velocity_at(model, x0, t, g)
    term = w * loss.term(model, x0, Noised(xt), t, None)
    torch.testing.assert_close(term, 0.5 * ((v - (eps - u0)) ** 2).sum(1))


@pytest.mark.parametrize(
    "make, rows",
    [
        (lambda x: VP(2), lambda n, g: torch.randn(n, 2, generator=g).double()),
        (lambda x: GeometricOU.from_data(x, theta=0.5), _positive_rows),
    ],
    ids=["vp", "geometric-ou"],
)
def test_velocity_weighting_is_the_velocity_regression_at_every_time(make, rows):
    # at any time (here uniform, as a product's loss draws them), each row's DSM term under
    # velocity_weighting with the velocity parameterisation is ½|v_θ - (ε - u_0)|², which in
    # u_0's units is ½ (1 + α/s)² |û_0 - u_0|² (û_0 the network's estimate): a weight of at least
    # 1 even near pure noise, where the ε-loss's is α²/s². Exact algebra: float64, tolerance
    # at rounding level
    g = torch.Generator().manual_seed(1)
    x0 = rows(64, g)
    process = make(x0)
    torch.manual_seed(0)
    model = VelocityParam(MLP(2, 2, hidden=16, depth=1), process).double()
    loss = DenoisingScoreMatching(process, velocity_weighting)
    t = process.t_min + (process.T - process.t_min) * torch.rand(64, generator=g).double()
    t[0] = process.T
    kernel, u0, eps, xt, v = _velocity_at(model, x0, t, g)
    a, s = kernel.isotropic("test")
    term = loss.term(model, x0, Noised(xt), t, None)
    torch.testing.assert_close(term, 0.5 * ((v - (eps - u0)) ** 2).sum(1))
    u0_hat = (kernel.coords.to(xt) - kernel.shift) / (a + s) - s / (a + s) * v
    torch.testing.assert_close(term, (0.5 * (1 + a / s) ** 2 * (u0_hat - u0) ** 2).sum(1))
    eps_term = DenoisingScoreMatching(process, eps_weighting).term(model, x0, Noised(xt), t, None)
    # the ε-loss: the same error weighed (1 + s/α)² times less, 1e4 times less at vp's T
    torch.testing.assert_close(eps_term, term / (1 + s[:, 0] / a[:, 0]) ** 2)


def test_the_error_report_keeps_the_conditional_target():
    loss = DenoisingScoreMatching(VP(2), eps_weighting, batch_posterior_target)
    assert loss.kl_form().target is conditional_target
    built = build("vp", torch.randn(64, 2), {"target": "batch"}, seed=0)
    assert built.loss.target is batch_posterior_target
    assert built.loss.kl_form().target is conditional_target
