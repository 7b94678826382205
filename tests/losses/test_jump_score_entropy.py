"""Implicit score entropy (MATH.md §5d) against the exact jump path-KL (§4) on the 1-D torus.

With wrapped-normal mixture data, ``p_t`` and all ratios are exact (Fourier series), so
``KL_θ = ∫ E_{y~p_t} ∫ λ g(w) [ρ_θ - r log ρ_θ + K(r)] dw dt`` is computed by quadrature, and the
loss must satisfy ``(T - t_min) (ℓ_A - ℓ_B) = KL_A - KL_B`` for any two models.
"""

import math

import numpy as np
import pytest
import torch
from torch import nn

from dmm.losses.score_entropy_jumps import (
    DenoisingJumpScoreEntropy,
    ImplicitScoreEntropy,
    logistic_terms,
    relative_offsets,
)
from dmm.processes.jumps import Jumps
from dmm.processes.torus_jump import TorusJump
from dmm.testing.jump_oracles import ExactTorusRatio, standard_torus_mixture

PROCESS = TorusJump(1)
MIX = standard_torus_mixture(1)
EXACT = ExactTorusRatio(PROCESS, MIX)


#: the same data under a time-dependent jump size σ_J(t) = 0.2 (0.9/0.2)^t (MATH.md §5d)
SCALED = TorusJump(1, sigma_jump=0.9, sigma_jump_min=0.2)
EXACT_SCALED = ExactTorusRatio(SCALED, MIX)


class Perturbed(nn.Module):
    """``log ρ = log ρ* + ε (h(x) - h(y))``: a potential-form error of size ε."""

    def __init__(self, eps: float, exact: nn.Module = EXACT) -> None:
        super().__init__()
        self.eps, self.exact = eps, exact

    def h(self, x):
        return (torch.sin(x) + 0.5 * torch.cos(2 * x - 1.0))[:, 0]

    def log_ratio(self, y, x, t, context=None):
        return self.exact.log_ratio(y, x, t) + self.eps * (self.h(x) - self.h(y))


class Flat(nn.Module):
    def log_ratio(self, y, x, t, context=None):
        return torch.zeros(y.shape[0], dtype=y.dtype)


class OneSide(nn.Module):
    """``model`` declaring ``antisymmetric = True``: the losses then evaluate one side per
    proposal and must keep their expectation."""

    antisymmetric = True

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def log_ratio(self, y, x, t, context=None):
        return self.model.log_ratio(y, x, t, context)


SIDES = pytest.mark.parametrize("side", [lambda m: m, OneSide], ids=["two-sided", "one-sided"])


def quadrature(integrand, nt=48, ny=128, nw=24, p=PROCESS) -> float:
    """``∫ λ(t) E_{y~p_t, w~g_t} integrand(y, y⊕w, t, p_t(y), p_t(y⊕w)) dt`` by Gauss–Legendre in
    t, periodic trapezoid in y, Gauss–Hermite in w (scaled by σ_J(t) under a time-dependent
    size)."""
    tn, tw = np.polynomial.legendre.leggauss(nt)
    # substitution t = t_min + (T - t_min) u² concentrates nodes near t_min where p_t moves fastest
    u, uw = 0.5 * (tn + 1), 0.5 * tw
    ts = torch.tensor(p.t_min + (p.T - p.t_min) * u**2)
    tws = torch.tensor((p.T - p.t_min) * 2 * u * uw)
    wn, ww = np.polynomial.hermite_e.hermegauss(nw)
    wn, ww = torch.tensor(wn), torch.tensor(ww / ww.sum())
    # the jump law's Gaussian components (one, or the two sizes of sigma_jump_small)
    law = p.jump_law
    parts = list(zip(law.sigmas, law.weights)) if hasattr(law, "sigmas") else [(p.sigma_jump, 1.0)]
    y = torch.linspace(-math.pi, math.pi, ny + 1, dtype=torch.float64)[:-1]
    yy = y.repeat_interleave(nw)[:, None]
    total = 0.0
    for t, weight in zip(ts, tws, strict=True):
        size = 1.0 if p.jumps.scale is None else float(p.jumps.scale(t))
        tt = torch.full((ny * nw,), float(t), dtype=torch.float64)
        py = MIX.density(yy, p, tt)
        inner = 0.0
        for sigma, share in parts:
            x = p.space.wrap(yy + size * sigma * wn.repeat(ny)[:, None])
            px = MIX.density(x, p, tt)
            inner = inner + share * (integrand(yy, x, tt, py, px).reshape(ny, nw) * ww).sum(1)
        total += (
            float(weight)
            * float(p.jumps.jump_rate(t))
            * float((py.reshape(ny, nw)[:, 0] * inner).mean())
        )
    return total


def path_kl(model, **grid) -> float:
    """Jump path-KL: ``∫ λ E_{y~p_t} ∫ g_t(w) [ρ_θ - r log ρ_θ + K(r)] dw dt``,
    ``r = p_t(y⊕w)/p_t(y)``."""

    def integrand(y, x, t, py, px):
        r, lr = px / py, model.log_ratio(y, x, t).double()
        return torch.exp(lr) - r * lr + r * torch.log(r) - r

    return quadrature(integrand, **grid)


def test_path_kl_is_zero_at_the_exact_ratio_and_positive_elsewhere():
    assert abs(path_kl(EXACT)) < 1e-10
    assert path_kl(Perturbed(0.6)) > 0.5 and path_kl(Flat()) > 0.2


@pytest.mark.slow
def test_quadrature_is_converged():
    # the loss test below relies on the quadrature: doubling every grid changes it by < 1%
    a, b = path_kl(Flat()), path_kl(Flat(), nt=96, ny=256, nw=40)
    assert abs(a - b) < 0.01 * b


def _implicit_difference(loss, model, side=lambda m: m, n=40000):
    """``(T - t_min)(ℓ(model) - ℓ(exact))`` per sample of an implicit loss, on common random
    numbers (both models see the same ``x_t``, ``t`` and jumps)."""
    p = PROCESS
    g = torch.Generator().manual_seed(1)
    x0 = MIX.sample(n, g)
    t = p.sample_times(n, g)
    xt = p.sample_marginal(x0, t, g)
    a = loss.per_sample_at(side(model), xt, t, torch.Generator().manual_seed(5)).double()
    b = loss.per_sample_at(side(EXACT), xt, t, torch.Generator().manual_seed(5)).double()
    return (p.T - p.t_min) * (a - b)


def _assert_matches(d, want: float, max_se: float) -> None:
    """Mean of ``d`` equals ``want`` within 4 Monte Carlo standard errors plus the 1% quadrature
    error, and the standard error is below ``max_se · want`` (the comparison is informative: a
    25% error in the loss would fail)."""
    se = d.std().item() / len(d) ** 0.5
    assert abs(d.mean().item() - want) < 4 * se + 0.01 * want, (d.mean().item(), want, se)
    assert se < max_se * want, (se, want)


@SIDES
@pytest.mark.parametrize("model", [Perturbed(0.6), Flat()], ids=["perturbed", "flat"])
def test_loss_difference_equals_path_kl_difference(model, side):
    d = _implicit_difference(ImplicitScoreEntropy(PROCESS, proposals=4), model, side)
    _assert_matches(d, path_kl(model), 0.1)  # path_kl(EXACT) = 0; se about 2% here


def test_loss_is_minimised_by_the_exact_ratio_in_expectation():
    p, n = PROCESS, 20000
    g = torch.Generator().manual_seed(2)
    x0 = MIX.sample(n, g)
    t = p.sample_times(n, g)
    xt = p.sample_marginal(x0, t, g)
    loss = ImplicitScoreEntropy(p, proposals=4)
    vals = [
        loss.per_sample_at(m, xt, t, torch.Generator().manual_seed(7)).mean().item()
        for m in (EXACT, Perturbed(0.3), Perturbed(-0.3))
    ]
    assert vals[0] < vals[1] and vals[0] < vals[2]


def test_requires_jumps():
    from dmm.processes import VP

    with pytest.raises(TypeError, match="Jumps"):
        ImplicitScoreEntropy(VP(2))


# --- the denoising form (latent kernel Γ = (x_0, N σ_J²)) -------------------------------------------


def _latent_batch(n: int, seed: int = 3):
    """``(generator, t, (y, latent, atom))``: ``n`` noised samples of the mixture, as
    :meth:`~dmm.processes.torus_jump.TorusJump.sample_latent` draws them, from ``seed``."""
    g = torch.Generator().manual_seed(seed)
    x0 = MIX.sample(n, g)
    t = PROCESS.sample_times(n, g)
    return g, t, PROCESS.sample_latent(x0, t, g)


def _denoising_difference(model, loss=None, side=lambda m: m, n=40000, p=PROCESS, exact=EXACT):
    """As :func:`_implicit_difference`, for a denoising loss (default: the KL form, 4 proposals)."""
    loss = loss or DenoisingJumpScoreEntropy(p, proposals=4)
    g = torch.Generator().manual_seed(1)
    x0 = MIX.sample(n, g)
    t = p.sample_times(n, g)
    y, latent, atom = p.sample_latent(x0, t, g)
    gen = torch.Generator
    a = loss.per_sample_at(side(model), y, latent, atom, t, gen().manual_seed(5)).double()
    b = loss.per_sample_at(side(exact), y, latent, atom, t, gen().manual_seed(5)).double()
    return (p.T - p.t_min) * (a - b)


@pytest.mark.parametrize("model", [Perturbed(0.6), Flat()], ids=["perturbed", "flat"])
def test_denoising_loss_difference_equals_path_kl_difference(model):
    _assert_matches(_denoising_difference(model), path_kl(model), 0.08)


@pytest.mark.parametrize("eps", [0.6, None], ids=["perturbed", "flat"])
def test_time_dependent_jump_size_keeps_both_losses_exact(eps):
    # under σ_J(t) the jumps of the loss come from g_t and the latent kernel mixes the sizes of
    # the jumps that happened; both forms must still equal the path KL up to a constant
    model = Flat() if eps is None else Perturbed(eps, EXACT_SCALED)
    want = path_kl(model, p=SCALED)
    assert want > 0.2  # informative: a 25% error in the loss would fail below
    den = _denoising_difference(model, p=SCALED, exact=EXACT_SCALED)
    _assert_matches(den, want, 0.08)
    g = torch.Generator().manual_seed(1)
    n = 40000
    x0 = MIX.sample(n, g)
    t = SCALED.sample_times(n, g)
    xt = SCALED.sample_marginal(x0, t, g)
    loss = ImplicitScoreEntropy(SCALED, proposals=4)
    a = loss.per_sample_at(model, xt, t, torch.Generator().manual_seed(5)).double()
    b = loss.per_sample_at(EXACT_SCALED, xt, t, torch.Generator().manual_seed(5)).double()
    _assert_matches((SCALED.T - SCALED.t_min) * (a - b), want, 0.1)


#: the same data with two jump sizes: small (0.2) or large (0.9) with probability ½ each
TWO_SIZES = TorusJump(1, sigma_jump=0.9, sigma_jump_small=0.2, small_share=0.5)
EXACT_TWO = ExactTorusRatio(TWO_SIZES, MIX)


@pytest.mark.parametrize("eps", [0.6, None], ids=["perturbed", "flat"])
def test_two_jump_sizes_keep_the_denoising_loss_exact(eps):
    # jumps of two sizes: the latent kernel sums the variances of the jumps that happened and the
    # proposals come from the mixture; the loss must still equal the path KL up to a constant.
    # A large proposal from a latent kernel of one small jump makes the plain denoising ratio
    # heavy-tailed (E r² ~ E e^{|w|²/V} with V = 0.2², w ~ N(0, 0.9²)): the uncapped estimate
    # came out 5 standard errors low at n = 40 000 on the flat model; the capped form
    # (ratio_cap, unbiased) is what is tested
    model = Flat() if eps is None else Perturbed(eps, EXACT_TWO)
    want = path_kl(model, p=TWO_SIZES)
    assert want > 0.2  # informative: a 25% error in the loss would fail below
    loss = DenoisingJumpScoreEntropy(TWO_SIZES, proposals=4, ratio_cap=3.0)
    d = _denoising_difference(model, loss, p=TWO_SIZES, exact=EXACT_TWO)
    _assert_matches(d, want, 0.08)


def test_denoising_form_has_lower_variance_than_the_implicit_form():
    # same samples, same proposals count: the per-sample minimiser of the denoising form removes
    # most of the noise (benchmarks/jumps_loss_variance.py measured 5.3x smaller at Perturbed(0.1))
    model = Perturbed(0.1)
    den = _denoising_difference(model)
    imp = _implicit_difference(ImplicitScoreEntropy(PROCESS, proposals=4), model)
    assert den.std() < 0.6 * imp.std()


def test_denoising_form_needs_a_latent_kernel():
    class NoLatent(TorusJump):
        has_latent_kernel = False

    with pytest.raises(TypeError, match="latent kernel"):
        DenoisingJumpScoreEntropy(NoLatent(2))


def test_unit_weighting_divides_each_sample_by_the_rate():
    # a named reweighting over time: the same per-sample terms without the factor λ(t), so the same
    # per-sample minimiser ρ_θ = r (exact equality on common random numbers)
    p, n = PROCESS, 500
    g, t, (y, latent, atom) = _latent_batch(n)
    kl = DenoisingJumpScoreEntropy(p, 4).per_sample_at(
        Perturbed(0.3), y, latent, atom, t, torch.Generator().manual_seed(4)
    )
    unit = DenoisingJumpScoreEntropy(p, 4, weighting="unit").per_sample_at(
        Perturbed(0.3), y, latent, atom, t, torch.Generator().manual_seed(4)
    )
    torch.testing.assert_close(unit * p.jumps.jump_rate(t), kl)
    with pytest.raises(ValueError, match="weighting"):
        DenoisingJumpScoreEntropy(p, 4, weighting="eps")


def test_error_report_puts_the_kl_weighting_back_for_a_unit_weighted_loss():
    # trained with weighting="unit", the report's estimation term must still be the path KL up to
    # a θ-free constant: the difference between two models equals the quadrature path-KL
    # difference (4 Monte Carlo se + 1% quadrature), with the (T - t_min) factor applied
    from dmm.metrics.report import estimation_term

    loss = DenoisingJumpScoreEntropy(PROCESS, 4, weighting="unit")
    x0 = MIX.sample(40000, torch.Generator().manual_seed(1))
    a = estimation_term(PROCESS, Perturbed(0.6), loss, x0, torch.Generator().manual_seed(2), 8192)
    b = estimation_term(PROCESS, EXACT, loss, x0, torch.Generator().manual_seed(2), 8192)
    want = path_kl(Perturbed(0.6))
    se = a["std_error"] + b["std_error"]  # conservative: ignores the positive correlation
    assert abs(a["value"] - b["value"] - want) < 4 * se + 0.01 * want, (a, b, want)
    assert "times (T - t_min)" in a["note"]


# --- the logistic form: same minimiser, bounded per-sample gradient -------------------------------


def logistic_objective(model, offset: float = 0.0) -> float:
    """``∫ λ(t) E_{y~p_t, w~g} [φ₁(u(y, y+w)) + φ₂(u(y+w, y))] dt``, ``u = log ρ_θ``, with
    ``φ₁(u) = e^M softplus(u - M)``, ``φ₂(u) = softplus(M - u) - M`` (written out here, not
    taken from the loss module)."""

    def integrand(y, x, t, py, px):
        f, m = nn.functional.softplus, offset
        ahead, back = model.log_ratio(y, x, t).double(), model.log_ratio(x, y, t).double()
        return math.exp(m) * f(ahead - m) + f(m - back) - m

    return quadrature(integrand)


OFFSETS = pytest.mark.parametrize("offset", [0.0, 2.0], ids=["M=0", "M=2"])


@OFFSETS
def test_logistic_objective_is_minimised_by_the_exact_ratio(offset):
    # quadrature (no sampling error): a minimum at ε = 0 along the perturbation, with zero slope; a
    # sign error in either softplus would move the minimiser to the inverse ratio or to ρ = 1, and
    # a wrong offset factor (e^M) to the ratio times a constant
    at = {e: logistic_objective(Perturbed(e), offset) for e in (-0.3, -0.01, 0.0, 0.01, 0.3)}
    assert at[0.0] < min(at[-0.3], at[0.3]) - 1e-3
    slope, curvature = (at[0.01] - at[-0.01]) / 0.02, (at[0.3] + at[-0.3] - 2 * at[0.0]) / 0.09
    assert abs(slope) < 1e-3 * curvature, (slope, curvature)
    assert logistic_objective(Flat(), offset) > at[0.0] + 1e-3


def test_logistic_terms_put_the_minimiser_at_the_ratio_and_a_wrong_factor_does_not():
    # the module's φ₁, φ₂ at M = 2 along a constant shift c of log ρ: zero slope at c = 0; the
    # same with e^{M+1} in front of φ₁ moves the minimiser to ρ/e (slope far from zero)
    def shifted(c, factor):
        def integrand(y, x, t, py, px):
            first = logistic_terms(EXACT.log_ratio(y, x, t).double() + c, 2.0)[0]
            second = logistic_terms(EXACT.log_ratio(x, y, t).double() + c, 2.0)[1]
            return factor * first + second

        return quadrature(integrand, nt=16, ny=64, nw=12)

    right = shifted(0.01, 1.0) - shifted(-0.01, 1.0)
    wrong = shifted(0.01, math.e) - shifted(-0.01, math.e)
    assert abs(right) < 0.02 * abs(wrong), (right, wrong)


@OFFSETS
@SIDES
@pytest.mark.parametrize("model", [Perturbed(0.6), Flat()], ids=["perturbed", "flat"])
def test_logistic_loss_difference_equals_its_quadrature(model, side, offset):
    loss = ImplicitScoreEntropy(PROCESS, proposals=4, divergence="logistic", offset=offset)
    want = logistic_objective(model, offset) - logistic_objective(EXACT, offset)
    _assert_matches(_implicit_difference(loss, model, side), want, 0.1)


def test_logistic_form_tends_to_the_score_entropy_as_the_offset_grows():
    # φ₁ → e^u and φ₂ → -u: with M = 25 the per-sample loss is the KL form's
    p, n = PROCESS, 512
    g = torch.Generator().manual_seed(3)
    xt = p.sample_marginal(MIX.sample(n, g), p.sample_times(n, g), g)
    t = p.sample_times(n, g)
    kl = ImplicitScoreEntropy(p, 4)
    far = ImplicitScoreEntropy(p, 4, divergence="logistic", offset=25.0)

    def at(loss):
        return loss.per_sample_at(Perturbed(0.6), xt, t, torch.Generator().manual_seed(4))

    torch.testing.assert_close(at(far).double(), at(kl).double(), rtol=1e-5, atol=1e-4)
    u = torch.linspace(-10, 10, 21)
    first, second = logistic_terms(u, 0.0)
    torch.testing.assert_close(first, nn.functional.softplus(u))
    torch.testing.assert_close(second, nn.functional.softplus(-u))


class Overshoot(nn.Module):
    """``log ρ = log ρ* + c``: far off, as an untrained model can be where ``p_t`` is thin."""

    def __init__(self, c: float) -> None:
        super().__init__()
        self.c = c

    def log_ratio(self, y, x, t, context=None):
        return EXACT.log_ratio(y, x, t) + self.c


def test_logistic_form_stays_linear_where_the_kl_form_explodes():
    p, n = PROCESS, 512
    g = torch.Generator().manual_seed(3)
    xt = p.sample_marginal(MIX.sample(n, g), p.sample_times(n, g), g)
    t = p.sample_times(n, g)
    kl, logistic = ImplicitScoreEntropy(p, 4), ImplicitScoreEntropy(p, 4, divergence="logistic")

    def at(loss, c):
        return loss.per_sample_at(Overshoot(c), xt, t, torch.Generator().manual_seed(4)).mean()

    # overshooting log ρ by 10 more multiplies the KL form by ~e^10 and the logistic form by ~2
    assert at(kl, 20.0) / at(kl, 10.0) > 1e4
    assert 1.5 < at(logistic, 20.0) / at(logistic, 10.0) < 2.5
    assert isinstance(logistic.kl_form(), ImplicitScoreEntropy)
    assert logistic.kl_form().divergence == "kl"
    with pytest.raises(ValueError, match="unknown divergence"):
        ImplicitScoreEntropy(p, 4, divergence="hinge")
    with pytest.raises(ValueError, match="offset is for"):
        ImplicitScoreEntropy(p, 4, offset=1.0)
    with pytest.raises(ValueError, match="offset must be in"):
        DenoisingJumpScoreEntropy(p, 4, divergence="logistic", offset=-1.0)
    # with an offset M the overshoot costs e^M per unit of log ρ: linear still, not exponential
    shifted = ImplicitScoreEntropy(p, 4, divergence="logistic", offset=3.0)
    assert 1.5 < at(shifted, 20.0) / at(shifted, 10.0) < 3.0


@OFFSETS
@SIDES
@pytest.mark.parametrize("model", [Perturbed(0.6), Flat()], ids=["perturbed", "flat"])
def test_denoising_logistic_loss_difference_equals_its_quadrature(model, side, offset):
    # the denoising logistic form is an unbiased estimate of the implicit logistic objective itself
    # (labels averaged over their posterior), so differences match the quadrature
    loss = DenoisingJumpScoreEntropy(PROCESS, 4, divergence="logistic", offset=offset)
    want = logistic_objective(model, offset) - logistic_objective(EXACT, offset)
    _assert_matches(_denoising_difference(model, loss, side), want, 0.08)


def test_denoising_logistic_form_is_bounded_and_reports_the_kl_form():
    p, n = PROCESS, 512
    g, t, (y, latent, atom) = _latent_batch(n)
    loss = DenoisingJumpScoreEntropy(p, 4, divergence="logistic", weighting="unit")

    def at(c):
        return loss.per_sample_at(
            Overshoot(c), y, latent, atom, t, torch.Generator().manual_seed(4)
        )

    # per sample, unit weighting: at most 2 (|u| + log 2) per proposal, linear in the overshoot;
    # |u| ≤ 10 + log(max p_t / min p_t), the oracle's ratio bound
    assert 1.5 < at(20.0).mean() / at(10.0).mean() < 2.5
    u_max = 10.0 + float(torch.log(EXACT.ratio_bound(t)).max())
    assert float(at(10.0).max()) <= 2 * (u_max + math.log(2))
    kl = loss.kl_form()
    assert kl.divergence == "kl" and kl.weighting == "kl"
    with pytest.raises(ValueError, match="ratio_cap"):
        DenoisingJumpScoreEntropy(p, 4, ratio_cap=10.0, divergence="logistic")


# --- offsets counted from a model's fixed part: the same minimiser ---------------------------------


def fixed_h(x):
    """A large fixed potential, so that the two orientations' offsets differ by up to 8."""
    return 4.0 * torch.cos(x[..., 0])


class WithFixed(nn.Module):
    """``model`` declaring the fixed part ``fixed_h(x) - fixed_h(y)`` of its log ratio (only the
    offsets read it: the minimiser must not depend on it)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.antisymmetric = bool(getattr(model, "antisymmetric", False))

    def log_ratio(self, y, x, t, context=None):
        return self.model.log_ratio(y, x, t, context)

    def fixed_log_ratios_to(self, y, x, t):
        return fixed_h(x) - fixed_h(y)[:, None]


def relative_objective(model, offset: float, unflipped: bool = False) -> float:
    """:func:`logistic_objective` with the offset of ``u(a, b)`` at ``M + max(0, f(a, b))``, ``f(a,
    b) = fixed_h(b) - fixed_h(a)`` (written out here). ``unflipped`` gives the second term
    ``u(y + w, y)`` the first's offset ``M + max(0, f(y, y + w))``: the offset of an ordered pair
    then differs between the terms, which should move the minimiser."""

    def integrand(y, x, t, py, px):
        f, sp = (fixed_h(x) - fixed_h(y)).double(), nn.functional.softplus
        m_ab, m_ba = offset + torch.relu(f), offset + torch.relu(-f)
        if unflipped:
            m_ba = m_ab
        ahead, back = model.log_ratio(y, x, t).double(), model.log_ratio(x, y, t).double()
        return torch.exp(m_ab) * sp(ahead - m_ab) + sp(m_ba - back) - m_ba

    return quadrature(integrand, nt=24, ny=96, nw=16)


def test_offsets_from_a_fixed_part_keep_the_exact_ratio_as_the_minimiser():
    # quadrature: zero slope at ε = 0 along the perturbation; not flipping the offset for the
    # second term's pair tilts it (the check can fail)
    def slope(unflipped):
        up, down = (relative_objective(Perturbed(e), 1.0, unflipped) for e in (0.01, -0.01))
        return (up - down) / 0.02

    at = {e: relative_objective(Perturbed(e), 1.0) for e in (-0.3, 0.0, 0.3)}
    curvature = (at[0.3] + at[-0.3] - 2 * at[0.0]) / 0.09
    assert curvature > 0
    # measured: 2e-6 against 0.012, curvature 7.3
    assert abs(slope(False)) < 1e-5 * curvature, (slope(False), curvature)
    assert abs(slope(True)) > 1e-3 * curvature, (slope(True), curvature)
    torch.testing.assert_close(
        relative_offsets(1.0, torch.tensor([-2.0, 0.0, 3.0, 1e4])),
        (torch.tensor([1.0, 1.0, 4.0, 30.0]), torch.tensor([3.0, 1.0, 1.0, 1.0])),
    )
    # capped at 30: a fixed ratio in the thousands (a light fixed tail far out) keeps the terms
    # finite, where e^M would overflow and e^M softplus(u - M) read inf * 0
    first, second = logistic_terms(
        torch.tensor([5.0, 1e4]), relative_offsets(0.0, torch.tensor([1e4, 1e4]))[0]
    )
    assert torch.isfinite(first).all() and torch.isfinite(second).all()


@SIDES
@pytest.mark.parametrize("form", ["implicit", "denoising"])
def test_offsets_from_a_fixed_part_estimate_their_objective(form, side):
    model = Perturbed(0.6)
    want = relative_objective(model, 1.0) - relative_objective(EXACT, 1.0)

    def sided(m):
        return WithFixed(side(m))

    if form == "implicit":
        loss = ImplicitScoreEntropy(PROCESS, 4, "logistic", offset=1.0, offset_from_fixed=True)
        _assert_matches(_implicit_difference(loss, model, sided), want, 0.1)
    else:
        loss = DenoisingJumpScoreEntropy(
            PROCESS, 4, divergence="logistic", offset=1.0, offset_from_fixed=True
        )
        _assert_matches(_denoising_difference(model, loss, sided), want, 0.08)


def test_a_model_without_a_fixed_part_gets_the_plain_offset():
    p, n = PROCESS, 256
    g, t, (y, latent, atom) = _latent_batch(n)
    for relative in (False, True):
        implicit = ImplicitScoreEntropy(p, 4, "logistic", offset=2.0, offset_from_fixed=relative)
        denoising = DenoisingJumpScoreEntropy(
            p, 4, divergence="logistic", offset=2.0, offset_from_fixed=relative
        )
        a = implicit.per_sample_at(Perturbed(0.6), y, t, torch.Generator().manual_seed(4))
        b = denoising.per_sample_at(
            Perturbed(0.6), y, latent, atom, t, torch.Generator().manual_seed(4)
        )
        if not relative:
            plain = a, b
    torch.testing.assert_close((a, b), plain, rtol=0, atol=0)
    with pytest.raises(ValueError, match="offset_from_fixed is for"):
        ImplicitScoreEntropy(p, 4, offset_from_fixed=True)


def test_each_term_reads_the_offset_of_its_own_ordered_pair():
    # written out on the loss's own proposals (same generator): u(a, b) is charged with
    # M + max(0, f(a, b)) in every term, u(b, a) with M + max(0, -f(a, b)). Swapping the two
    # (a plausible slip) moves these sums by far more than float error but barely moves the
    # quadrature checks above, hence this check.
    from dmm.losses.score_entropy_jumps import _destinations

    p, n, k, m = PROCESS, 64, 3, 0.5
    g, t, (y, latent, atom) = _latent_batch(n)
    model = WithFixed(OneSide(Perturbed(0.6)))
    sp = nn.functional.softplus

    def phi(u, offset):
        return torch.exp(offset) * sp(u - offset), sp(offset - u) - offset

    ends, _ = _destinations(p, p.block(Jumps), None, y, t, k, torch.Generator().manual_seed(4))
    ys = y.repeat_interleave(k, 0)
    u = model.log_ratio(ys, ends, t.repeat_interleave(k)).double()
    f = (fixed_h(ends) - fixed_h(ys)).double()
    m_ab, m_ba = m + torch.relu(f), m + torch.relu(-f)
    rate = p.block(Jumps).jump_rate(t).double()

    implicit = ImplicitScoreEntropy(p, k, "logistic", offset=m, offset_from_fixed=True)
    got = implicit.per_sample_at(model, y, t, torch.Generator().manual_seed(4)).double()
    terms = phi(u, m_ab)[0] + phi(-u, m_ba)[1]
    close = {"rtol": 1e-5, "atol": 1e-5}  # the loss runs in float32
    torch.testing.assert_close(got, rate * terms.reshape(n, k).mean(1), **close)

    denoising = DenoisingJumpScoreEntropy(
        p, k, divergence="logistic", weighting="unit", offset=m, offset_from_fixed=True
    )
    got = denoising.per_sample_at(model, y, latent, atom, t, torch.Generator().manual_seed(4))
    lk, tk = latent.repeat_interleave(k, 0), t.repeat_interleave(k)
    log_r = (p.latent_log_density(ends, lk, tk) - p.latent_log_density(ys, lk, tk)).double()
    pi = torch.where(atom.repeat_interleave(k), 1.0, torch.sigmoid(-log_r))
    (a1, a2), (b1, b2) = phi(u, m_ab), phi(-u, m_ba)
    terms = pi * (a1 + b2) + (1 - pi) * (a2 + b1)
    torch.testing.assert_close(got.double(), terms.reshape(n, k).mean(1), **close)
