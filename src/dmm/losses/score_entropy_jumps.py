"""Score entropy for continuous-space jumps (MATH.md §5d): implicit and denoising forms.

For a jump block ``λ_t(x → x ⊕ w) = λ(t) g(w)`` with symmetric ``g``:

    ℓ = λ(t) { E_{x~p_t, w~g} [ ρ_θ(x, x ⊕ w, t) ] - E_{z~p_t, w~g} [ log ρ_θ(z ⊕ w, z, t) ] },

``t ~ U(t_min, T)``. Up to a θ-free constant this is the jump part of the path KL of MATH.md §4 (per
unit time, averaged over ``t``). It needs only samples of ``p_t`` (exact kernel or forward
simulation) and stays unbiased when ``p_{t|0}`` has an atom. Both expectations are averaged over
``proposals`` independent jumps per sample (variance matters more than bias here).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ..processes.anchor import AnchoredProposals
from ..processes.base import Process
from ..processes.jumps import Jumps
from ..scores.jump_ratios import fixed_log_ratios, proposal_log_ratios
from ..spaces.base import expand_batch
from .base import Loss, Noised


def antisymmetric(model: nn.Module) -> bool:
    """Whether ``model`` declares ``log ρ_θ(y, x) = -log ρ_θ(x, y)`` by construction
    (``antisymmetric = True``, e.g. :class:`~dmm.scores.jump_ratios.DirectRatio`): the implicit
    losses then evaluate one side of each proposal and read the other as its negative, at half
    the cost (each of §5d's two expectations is then the other in disguise, with the same
    ``w``: ``-log ρ(z ⊕ w, z) = log ρ(z, z ⊕ w)``, ``z ~ p_t``)."""
    return bool(getattr(model, "antisymmetric", False))


#: the largest logit offset: ``e^30 ≈ 1e13``, the KL form's clamp on ``log ρ``
OFFSET_MAX = 30.0


def logistic_terms(u: Tensor, offset: float | Tensor) -> tuple[Tensor, Tensor]:
    r"""The logistic divergence's two per-pair terms at ``u = log ρ_θ(a, b)`` with offset ``M``:
    ``φ₁(u) = e^M softplus(u - M)`` (``a`` drawn first) and ``φ₂(u) = softplus(M - u) - M`` (``b``
    drawn first).

    Any pair with ``φ₁'(u) = -e^u φ₂'(u)`` is minimised, over pairs drawn as in
    :class:`ImplicitScoreEntropy`, by ``e^u = p_t(b)/p_t(a)``; here ``φ₁' = e^M σ(u - M)`` and
    ``φ₂' = -σ(M - u)``. ``M = 0`` is the plain logistic loss; as ``M → ∞``, ``φ₁ → e^u`` and
    ``φ₂ → -u``: the score entropy's terms (the ``-M`` keeps the loss on their scale). For
    ``u ≪ M`` the pair behaves like the score entropy (ratios up to about ``e^M`` are learned with
    its signal); its gradients are bounded by ``e^M`` and 1 where the score entropy's ``e^u`` is
    not.

    ``M`` may differ from pair to pair (a tensor like ``u``), as long as it depends only on the
    pair ``(a, b)`` and ``t``: each orientation's two terms are still minimised at the true
    ratio, whatever its own ``M`` (:func:`relative_offsets`)."""
    scale = torch.exp(offset) if isinstance(offset, Tensor) else math.exp(offset)
    return scale * F.softplus(u - offset), F.softplus(offset - u) - offset


def relative_offsets(offset: float, fixed: Tensor) -> tuple[Tensor, Tensor]:
    r"""Per-pair offsets counted from a model's fixed log ratio ``f = log h_t(b) - log h_t(a)``
    (:func:`~dmm.scores.jump_ratios.fixed_log_ratios`): ``M + max(0, f)`` for ``u(a, b)`` and
    ``M + max(0, -f)`` for ``u(b, a)``, each at most :data:`OFFSET_MAX` (``e^M`` stays finite in
    float32 where a light fixed tail puts ``|f|`` in the thousands; the KL form clamps ``log ρ``
    there too).

    The fixed part (a tail law fitted to the data) says where large ratios are expected: from a
    point far out to the bulk, ``f`` is large and so is the true ratio, which the score entropy's
    signal (the offset large) learns; next to a narrow mode that the fixed part does not know
    of, the offset stays ``M`` and an overshoot of the learned part is charged linearly, with
    gradients at most ``e^M`` times the fixed ratio. Both offsets depend only on the pair, so
    the minimiser is the true ratio (:func:`logistic_terms`)."""
    up, down = offset + torch.relu(fixed), offset + torch.relu(-fixed)
    return up.clamp(max=OFFSET_MAX), down.clamp(max=OFFSET_MAX)


def _check_logistic(divergence: str, offset: float, from_fixed: bool = False) -> float:
    if divergence not in ("kl", "logistic"):
        raise ValueError(f"unknown divergence '{divergence}' (known: kl, logistic)")
    if not 0 <= offset <= OFFSET_MAX:
        raise ValueError(f"the logistic offset must be in [0, 30], got {offset}")
    if offset and divergence != "logistic":
        raise ValueError("offset is for divergence='logistic'")
    if from_fixed and divergence != "logistic":
        raise ValueError("offset_from_fixed is for divergence='logistic'")
    return float(offset)


def _check_anchor(process: Process, anchor: AnchoredProposals | None) -> AnchoredProposals | None:
    if anchor is not None:
        anchor.check(process.space)
    return anchor


def _destinations(
    process: Process,
    jumps: Jumps,
    anchor: AnchoredProposals | None,
    y: Tensor,
    t: Tensor,
    k: int,
    generator: torch.Generator | None,
) -> tuple[Tensor, Tensor | None]:
    """``K`` jump destinations per row of ``y`` ``(n K, *event)`` and their importance weights
    ``(n K,)``: ``y ⊕ w``, ``w ~ g`` (weights ``None``), or drawn from ``anchor``'s mixture ``q``
    with weights ``g/q`` (:class:`~dmm.processes.anchor.AnchoredProposals`)."""
    n = y.shape[0]
    if anchor is None:
        w = jumps.sample_law(t[:, None], (n, k), generator, y)
        w = w.reshape(n * k, *process.space.tangent_shape)
        return jumps.jump_destination(process.space, y.repeat_interleave(k, 0), w), None
    xs, log_w = anchor.propose(jumps, y.reshape(n, -1), t, k, generator)
    return xs.reshape(n * k, *y.shape[1:]), torch.exp(log_w).reshape(n * k)


class _JumpScoreEntropy(Loss):
    """Shared checks of the two §5d forms: a jump block, a symmetric jump law, ``proposals ≥ 1``."""

    def __init__(self, process: Process, proposals: int, name: str) -> None:
        self.jumps = process.block(Jumps)
        if not self.jumps.law.symmetric:
            raise ValueError(f"{name} needs a symmetric jump law g(-w) = g(w)")
        if proposals < 1:
            raise ValueError(f"proposals must be >= 1, got {proposals}")
        super().__init__(process)
        self.proposals = int(proposals)


class ImplicitScoreEntropy(_JumpScoreEntropy):
    r"""The §5d loss; ``model`` needs ``log_ratio(y, x, t, context)``
    (:mod:`dmm.scores.jump_ratios`).

    The same ``x ~ p_t`` serves as ``z`` in the second term with fresh jumps (unbiased: both
    terms are expectations under ``p_t``). ``t`` may be passed to :meth:`per_sample_at` for
    quadrature tests.

    ``divergence``: ``"kl"`` (the score entropy above: the path KL, used for the bound) or
    ``"logistic"``, a named alternative with the same minimiser. Write ``u = log ρ_θ``. The pairs
    ``(a, b) = (x, x ⊕ w)``, ``x ~ p_t``, and ``(a, b) = (z ⊕ w, z)``, ``z ~ p_t``, have densities
    ``p_t(a) g(w)`` and ``p_t(b) g(w)`` (``g`` symmetric); telling them apart with the logit
    ``-u(a, b)`` is the loss

        ℓ = λ(t) { E_{x, w} softplus(u(x, x ⊕ w)) + E_{z, w} softplus(-u(z ⊕ w, z)) },

    whose minimiser solves ``p_t(a) σ(u) = p_t(b) σ(-u)``, i.e. ``e^u = p_t(b)/p_t(a)``: the true
    ratio. Its per-sample gradient in ``u`` is bounded by 1, where the score entropy's first term
    ``e^u`` is not: a model that overshoots ``log ρ`` by 20 where ``p_t`` is rarely sampled makes
    the KL form's batch loss ~``e^{20}`` (the spikes of ``benchmarks/user_processes.py``), the
    logistic form's ~20. It is not the path KL; :meth:`kl_form` gives the KL loss for the report.

    ``offset = M ≥ 0`` (logistic only) shifts the logit: ``softplus(u)`` and ``softplus(-u)``
    become ``e^M softplus(u - M)`` and ``softplus(M - u) - M`` (:func:`logistic_terms`): the same
    minimiser, the score entropy's behaviour for ratios up to about ``e^M``, gradients at most
    ``e^M``; ``M = 0`` is the form above, ``M → ∞`` the score entropy.
    """

    def __init__(
        self,
        process: Process,
        proposals: int = 8,
        divergence: str = "kl",
        anchor: AnchoredProposals | None = None,
        offset: float = 0.0,
        offset_from_fixed: bool = False,
    ) -> None:
        self.offset = _check_logistic(divergence, offset, offset_from_fixed)
        self.offset_from_fixed = bool(offset_from_fixed)
        super().__init__(process, proposals, "implicit score entropy")
        self.divergence = divergence
        self.anchor = _check_anchor(process, anchor)

    def kl_form(self) -> ImplicitScoreEntropy:
        return ImplicitScoreEntropy(self.process, self.proposals, anchor=self.anchor)

    def term(self, model, x0, noised, t, generator, context=None) -> Tensor:
        return self.per_sample_at(model, noised.xt, t, generator, context)

    def per_sample_at(
        self,
        model: nn.Module,
        xt: Tensor,
        t: Tensor,
        generator: torch.Generator | None,
        context: Tensor | None = None,
    ) -> Tensor:
        """The loss at given samples ``x_t ~ p_t`` and times ``t`` (``(batch,)``)."""
        j, k, n = self.jumps, self.proposals, xt.shape[0]
        x = xt.repeat_interleave(k, dim=0)
        tk = t.repeat_interleave(k)
        ck = None if context is None else context.repeat_interleave(k, dim=0)
        # first term: ρ_θ(x, x ⊕ w); second: log ρ_θ(z ⊕ w', z) (backward jump from the later
        # position), which is -log ρ_θ(x, x ⊕ w) for an antisymmetric model with w' = w
        ahead, iw_up = _destinations(self.process, j, self.anchor, xt, t, k, generator)
        up = proposal_log_ratios(model, xt, ahead.reshape(n, k, *xt.shape[1:]), t, context)
        up = up.reshape(n * k)
        if antisymmetric(model):
            back, iw_back = -up, iw_up
        else:
            behind, iw_back = _destinations(self.process, j, self.anchor, xt, t, k, generator)
            back = model.log_ratio(behind, x, tk, ck)
        if self.divergence == "logistic":
            m_up = m_back = self.offset
            if self.offset_from_fixed:
                f_up = fixed_log_ratios(model, xt, ahead.reshape(n, k, *xt.shape[1:]), t)
                if antisymmetric(model):  # the back pair is (x ⊕ w, x): its fixed ratio is -f
                    m_up, m_back = relative_offsets(self.offset, f_up.reshape(n * k))
                else:  # log ρ(behind, x) = -(fixed ratio of x → behind) + learned
                    f_b = fixed_log_ratios(model, xt, behind.reshape(n, k, *xt.shape[1:]), t)
                    m_up = relative_offsets(self.offset, f_up.reshape(n * k))[0]
                    m_back = relative_offsets(self.offset, f_b.reshape(n * k))[1]
            first = logistic_terms(up, m_up)[0]
            second = logistic_terms(back, m_back)[1]
        else:
            first, second = torch.exp(up.clamp(max=30.0)), -back
        if self.anchor is not None:  # importance weights g/q of each term's own proposals
            first, second = iw_up * first, iw_back * second
        per = (first + second).reshape(n, k).mean(1)
        return expand_batch(j.jump_rate(t), per).reshape(n) * per


class DenoisingJumpScoreEntropy(_JumpScoreEntropy):
    r"""The denoising form of §5d, for a process whose ``p_t = E_Γ p_{t|Γ}`` is a mixture of
    closed-form densities, possibly with an atom (``has_latent_kernel``; on the torus ``Γ = x_0``
    and ``p_{t|Γ}`` is the Poisson mixture ``c_t`` of wrapped normals over ``n ≥ 1`` jumps).

    With ``y ~ p_{t|Γ}`` and ``w_k ~ g``, per sample (all terms times ``λ(t)``):

    * ``y`` off the atom: ``mean_k [ρ_θ(y, y⊕w_k) - r_k log ρ_θ(y, y⊕w_k) + K(r_k)]`` with
      ``r_k = p_{t|Γ}(y⊕w_k) / p_{t|Γ}(y)``, zero at ``ρ_θ = r``;
    * ``y`` on the atom (``y = x_0``): ``mean_k [ρ_θ(y, y⊕w_k) - log ρ_θ(y⊕w_k, y)]``.

    Its expectation equals that of :class:`ImplicitScoreEntropy` plus a θ-free constant (write
    ``p_t(x) g(y-x)`` as ``E_Γ p_{t|Γ}(y) g(w) p_{t|Γ}(y⊕w)/p_{t|Γ}(y)``, ``x = y⊕w``), so it is the
    jump path-KL up to a constant; but off the atom each sample has its own minimiser, as in
    denoising score matching, which removes most of the variance. ``r`` is capped at
    ``e^{30}`` (never reached on the torus, where ``p_{t|Γ}`` has variance ``≥ σ_J²``).

    ``weighting``: ``"kl"`` (the factor ``λ(t)``: the path KL, used for the bound) or ``"unit"``
    (no factor: a named reweighting over time with the same per-sample minimiser ``ρ_θ = r``;
    ``λ(t)`` spans a factor 400 under the default torus rate, and with the KL weighting the
    large-``t`` samples dominate the clipped gradient while the small-``t`` samples, where ``p_t``
    has its structure, barely move the model).

    ``divergence="logistic"``: the denoising form of :class:`ImplicitScoreEntropy`'s logistic
    loss, an unbiased estimate of it with weights in ``[0, 1]``. Off the atom, for the pair
    ``(a, b) = (y, y⊕w)`` the label "``a`` was drawn first" has posterior probability
    ``π = c(a) / (c(a) + c(b)) = 1 / (1 + r)`` under the symmetrised pair law, and each proposal
    contributes both orientations (``E_{c(a) g}[f(a, b) + f(b, a)] = ∫∫ (c(a) + c(b)) g f(a, b)``):

        π sp(u(a, b)) + (1 - π) sp(-u(a, b)) + (1 - π) sp(u(b, a)) + π sp(-u(b, a)),

    ``sp = softplus``, ``u = log ρ_θ``: minimised by ``e^u = r`` per sample, with gradient at most
    2 however large ``r`` is (the KL form's is ``r``, unbounded where ``c_t`` is narrow). On the
    atom the labels are certain: ``sp(u(y, y⊕w)) + sp(-u(y⊕w, y))``. Times ``λ(t)`` (``"kl"``
    weighting) or not (``"unit"``). :meth:`kl_form` gives the KL loss for the report. With
    ``offset = M`` the softplus pairs are :func:`logistic_terms`'s ``φ₁, φ₂``: per proposal
    ``π [φ₁(u(a, b)) + φ₂(u(b, a))] + (1 - π) [φ₂(u(a, b)) + φ₁(u(b, a))]``, weights still
    ``≤ 1``, gradients at most ``e^M``.

    ``ratio_cap = R`` (optional) keeps the variance finite when ``r`` is unbounded (on ``R^d``
    with heavy-tailed ``g`` and a Gaussian ``p_{t|Γ}``, ``E r² = E_w e^{|w|²/v} = ∞``). Split the
    weight with ``a(y, w) = min(1, R/r)``; the change of variables ``(y, w) → (y⊕w, -w)`` turns
    ``E[(1 - a) r log ρ(y, y⊕w)]`` into ``E[(1 - min(1, R r)) log ρ(y⊕w, y)]`` (``g`` symmetric),
    so off the atom each proposal contributes
    ``ρ - a r log ρ(y, y⊕w) + a r (log r - 1) - (1 - min(1, R r)) log ρ(y⊕w, y)``: unbiased, with
    weights ``≤ R`` and ``≤ 1``. ``R → ∞`` is the plain denoising form, ``R → 0`` the implicit one.

    ``anchor`` (optional, :class:`~dmm.processes.anchor.AnchoredProposals`, ``R^d`` only) draws
    the proposals from ``q(x | y) = (1 - β) g(x - y) + β h(x)`` and weights each term by
    ``g/q``: every term above is an integral ``∫ g(w) f(y, y ⊕ w) dw`` for fixed ``y``, so the
    expectation is unchanged. Without it the terms ``ρ_θ(y, y ⊕ w)`` for ``y`` far out and
    ``y ⊕ w`` in the bulk, huge and drawn with probability ``≈ g(y)|bulk|``, reach a batch so
    rarely that the typical batch gradient favours models with too light tails (docs/studies/jumps.md,
    Heavy tails); with it they are drawn a share ``β`` of the time with weights ``≤ 1/(1-β)``.
    """

    def __init__(
        self,
        process: Process,
        proposals: int = 8,
        ratio_cap: float | None = None,
        weighting: str = "kl",
        kernel=None,
        divergence: str = "kl",
        anchor: AnchoredProposals | None = None,
        offset: float = 0.0,
        offset_from_fixed: bool = False,
    ) -> None:
        if weighting not in ("kl", "unit"):
            raise ValueError(f"unknown weighting '{weighting}' (known: kl, unit)")
        self.offset = _check_logistic(divergence, offset, offset_from_fixed)
        self.offset_from_fixed = bool(offset_from_fixed)
        if divergence == "logistic" and ratio_cap is not None:
            raise ValueError("ratio_cap is for the KL form: the logistic form's weights are <= 1")
        if ratio_cap is not None and not ratio_cap > 0:
            raise ValueError(f"ratio_cap must be positive, got {ratio_cap}")
        if kernel is None:
            process.require("latent_kernel", "denoising jump score entropy")
        super().__init__(process, proposals, "denoising jump score entropy")
        #: the object with ``sample_latent``/``latent_log_density`` (default: the process)
        self.kernel = kernel or process
        self.weighting = weighting
        self.ratio_cap = None if ratio_cap is None else float(ratio_cap)
        self.divergence = divergence
        self.anchor = _check_anchor(process, anchor)

    def kl_form(self) -> DenoisingJumpScoreEntropy:
        cap = self.ratio_cap if self.divergence == "kl" else None
        return DenoisingJumpScoreEntropy(
            self.process, self.proposals, cap, "kl", self.kernel, anchor=self.anchor
        )

    def noise(self, x0: Tensor, t: Tensor, generator: torch.Generator | None) -> Noised:
        return Noised(*self.kernel.sample_latent(x0, t, generator))

    def noise_key(self) -> tuple:
        return ("latent", self.kernel)

    def term(self, model, x0, noised, t, generator, context=None) -> Tensor:
        return self.per_sample_at(
            model, noised.xt, noised.latent, noised.atom, t, generator, context
        )

    def per_sample_at(
        self,
        model: nn.Module,
        y: Tensor,
        latent: Tensor,
        atom: Tensor,
        t: Tensor,
        generator: torch.Generator | None,
        context: Tensor | None = None,
    ) -> Tensor:
        """The loss at given ``(y, Γ, atom) ~ sample_latent`` and times ``t`` (``(batch,)``)."""
        j, k, n = self.jumps, self.proposals, y.shape[0]
        xs, iw = _destinations(self.process, j, self.anchor, y, t, k, generator)
        iw = None if iw is None else iw.reshape(n, k)
        ys, tk = y.repeat_interleave(k, 0), t.repeat_interleave(k)
        ck = None if context is None else context.repeat_interleave(k, dim=0)
        lr = proposal_log_ratios(model, y, xs.reshape(n, k, *y.shape[1:]), t, context)
        on_atom = atom.repeat_interleave(k).reshape(n, k)
        with torch.no_grad():  # log p_{t|Γ}(y ⊕ w_k) - log p_{t|Γ}(y): y and its K
            # destinations in one call of the kernel
            both = self.kernel.latent_log_density(
                torch.cat([y, xs]),
                torch.cat([latent, latent.repeat_interleave(k, 0)]),
                torch.cat([t, tk]),
            )
            log_r = both[n:] - both[:n].repeat_interleave(k)
        if self.divergence == "logistic":
            m_ab = m_ba = self.offset
            if self.offset_from_fixed:
                fixed = fixed_log_ratios(model, y, xs.reshape(n, k, *y.shape[1:]), t)
                m_ab, m_ba = relative_offsets(self.offset, fixed)
            per = self._logistic(model, ys, xs, tk, ck, log_r, lr, on_atom, m_ab, m_ba)
            per = per if iw is None else iw * per
            weight = j.jump_rate(t).reshape(n) if self.weighting == "kl" else torch.ones_like(t)
            return weight * per.mean(1)
        rho = torch.exp(lr.clamp(max=30.0))
        with torch.no_grad():
            log_r = torch.where(on_atom.reshape(-1), 0.0, log_r).clamp(max=30.0).reshape(n, k)
            r = torch.exp(log_r)
            # weights of the forward term -log ρ(y, y⊕w) and of the backward term -log ρ(y⊕w, y)
            forward, backward = r, torch.zeros_like(r)
            if self.ratio_cap is not None:
                forward = (self.ratio_cap / r).clamp(max=1.0) * r
                backward = (1 - self.ratio_cap * r).clamp(min=0.0)
            forward = torch.where(on_atom, 0.0, forward)
            backward = torch.where(on_atom, 1.0, backward).reshape(n * k)
        per = (rho - forward * (lr - log_r + 1)).reshape(n * k)
        idx = (backward > 0).nonzero().flatten()
        if idx.numel():
            if antisymmetric(model):  # log ρ(y⊕w, y) = -log ρ(y, y⊕w): no second evaluation
                back = -lr.reshape(n * k)[idx]
            else:
                cb = None if ck is None else ck[idx]
                back = model.log_ratio(xs[idx], ys[idx], tk[idx], cb)
            per = per.index_put((idx,), per[idx] - backward[idx] * back)
        per = per.reshape(n, k) if iw is None else iw * per.reshape(n, k)
        weight = j.jump_rate(t).reshape(n) if self.weighting == "kl" else torch.ones_like(t)
        return weight * per.mean(1)

    def _logistic(self, model, ys, xs, tk, ck, log_r, lr, on_atom, m_ab, m_ba) -> Tensor:
        """Per-proposal logistic terms, ``(n, k)`` (class doc); ``lr = log ρ_θ(y, y⊕w)``,
        ``log_r`` the kernel's ``log r``; ``m_ab``, ``m_ba`` the offsets of ``u(y, y⊕w)`` and
        ``u(y⊕w, y)``."""
        back = -lr if antisymmetric(model) else model.log_ratio(xs, ys, tk, ck).reshape(lr.shape)
        with torch.no_grad():
            pi = torch.where(on_atom, 1.0, torch.sigmoid(-log_r.reshape(lr.shape)))
        first, second = logistic_terms(lr, m_ab)
        first_b, second_b = logistic_terms(back, m_ba)
        return pi * (first + second_b) + (1 - pi) * (second + first_b)


__all__ = [
    "DenoisingJumpScoreEntropy",
    "ImplicitScoreEntropy",
    "logistic_terms",
    "relative_offsets",
]
