"""SO(3) divergence and probability-flow log-likelihood against closed forms."""

import math

import pytest
import torch

from dmm.processes import igso3
from dmm.processes.manifold_brownian import SO3Brownian, SO3MixtureScore, quaternion_to_matrix
from dmm.processes.manifold_likelihood import so3_divergence, so3_log_likelihood
from dmm.reversal import Reversal
from dmm.spaces import SupportError
from dmm.spaces.so3 import hat


def _rot(n, seed):
    q = torch.randn(n, 4, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return quaternion_to_matrix(q / q.norm(dim=1, keepdim=True))


def test_divergence_of_a_linear_field_is_exact():
    # v_i(x) = tr(A_i x): E_i v_i = tr(A_i x ê_i) in closed form (a field that is not a gradient)
    a = torch.randn(3, 3, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    x = _rot(32, 1)
    field = lambda z: torch.einsum("kij,nji->nk", a, z)  # noqa: E731
    e = hat(torch.eye(3, dtype=torch.float64))  # ê_i
    expect = sum(torch.einsum("ij,nji->n", a[i], x @ e[i]) for i in range(3))
    torch.testing.assert_close(so3_divergence(field, x), expect, atol=1e-12, rtol=0)


def test_divergence_of_the_igso3_score_is_the_laplacian_of_log_f():
    # div ∇log f = Δ log f = Δf/f - |∇log f|² = 2 ∂_B log f - (ω q(ω))² (heat equation ∂_B f = ½Δf);
    # ∂_B by central differences (step 1e-5, float64: error ~1e-8 relative); tolerance 1e-5 relative
    process = SO3Brownian()
    x0 = _rot(1, 2).expand(64, 3, 3)
    t = torch.full((64,), 0.6, dtype=torch.float64)
    B = process.variance_time(t)
    xt = process.sample_transition(x0, t, torch.Generator().manual_seed(3))
    div = so3_divergence(lambda z: process.conditional_score(z, x0, t), xt)
    omega = process.space.distance(x0, xt)
    h = 1e-5
    d_b = (igso3.log_density(omega, B + h) - igso3.log_density(omega, B - h)) / (2 * h)
    expect = 2 * d_b - (omega * igso3.score_over_angle(omega, B)) ** 2
    torch.testing.assert_close(div, expect, atol=1e-5 * float(expect.abs().max()), rtol=0)


def test_log_likelihood_of_the_exact_score_matches_the_closed_form():
    # p_0 = uniform mixture of 3 point masses: p_t = mean_k f(ω_k; B(t)) exactly. Start the ODE at t
    # with B(t) ≈ 0.1 (not stiff) and compare with log p_t at the same points; Heun with 50 steps:
    # the error is below 0.01 nats (measured 2.4e-3; 1e-3 at 100 steps), the terminal mismatch log(p_T/Haar) is ~1e-4
    process = SO3Brownian()
    modes = _rot(3, 4)
    t0 = 0.55
    n = 24
    x0 = modes[torch.arange(n) % 3]
    t = torch.full((n,), t0, dtype=torch.float64)
    x = process.sample_transition(x0, t, torch.Generator().manual_seed(5))
    rev = Reversal(process, SO3MixtureScore(process, modes))
    ll = so3_log_likelihood(rev, x, steps=50, t_start=t0)
    omega = process.space.distance(
        modes[None].expand(n, 3, 3, 3).reshape(-1, 3, 3), x.repeat_interleave(3, 0)
    )
    B = process.variance_time(t).repeat_interleave(3)
    exact = torch.logsumexp(igso3.log_density(omega, B).reshape(n, 3), 1) - math.log(3)
    assert exact.mean() > 1.0  # the test is not trivial: far from Haar (0 nats)
    torch.testing.assert_close(ll, exact, atol=1e-2, rtol=0)


def _mixture_reversal():
    process = SO3Brownian()
    return Reversal(process, SO3MixtureScore(process, _rot(3, 4)))


def test_log_likelihood_rejects_rows_that_are_not_rotations():
    # before: NaN for a non-rotation row (and a number for a scaled one) instead of an error
    x = _rot(4, 6)
    x[1] = 2 * x[1]  # orthogonal up to scale: not a rotation
    x[3] = torch.diag(torch.tensor([1.0, 1.0, -1.0], dtype=torch.float64))  # det -1
    with pytest.raises(SupportError, match=r"2 row\(s\): 1, 3") as err:
        so3_log_likelihood(_mixture_reversal(), x, steps=2)
    assert "\n" not in str(err.value)
    with pytest.raises(SupportError, match="shape"):
        so3_log_likelihood(_mixture_reversal(), torch.zeros(4, 2, 3, dtype=torch.float64), steps=2)


@pytest.mark.parametrize("steps", [0, -3, 2.5])
def test_log_likelihood_needs_at_least_one_step(steps):
    # before: steps=0 returned Haar's log-density (0.0) for every input, whatever the model
    with pytest.raises(ValueError, match="steps >= 1") as err:
        so3_log_likelihood(_mixture_reversal(), _rot(4, 7), steps=steps)
    assert "\n" not in str(err.value)
