"""Ratio parameterisations ``ρ_θ(y, x, t) = φ_θ(x, t) / φ_θ(y, t)`` for continuous jumps
(MATH.md §3).

The backward jump ``y → x`` has rate ``λ(t) g(y ⊖ x) ρ_θ(y, x, t)`` (:mod:`dmm.reversal.jumps`). Forms
of the same quantity:

* :class:`DirectRatio` — a network of ``(y, x ⊖ y, t)`` gives ``log ρ`` directly, antisymmetrised
  (``log ρ(y, x) = N(y, x - y) - N(x, y - x)``) so that ``ρ(y, x) ρ(x, y) = 1`` as for a true ratio;
* :class:`TrunkRatio` — the same antisymmetric form with a network of one point ``φ(y, t)``,
  shared by that point's proposals, and a small head of ``(φ, x - y)``;
* :class:`PotentialRatio` — a scalar potential ``U_θ = log φ_θ``: ``ρ = exp(U(x) - U(y))`` and, for
  jump-diffusions, also the score ``s = ∇U`` (both heads from one function);
* :class:`TailPotentialRatio` — ``U_θ = log h_t + C tanh(N/C)``: a potential with a fixed part ``h_t``
  (a density, or the forward marginal of a heavy-tailed law) that sets its tail.

:class:`JumpDiffusionModel` pairs any score model with any ratio model. All models expose
``log_ratio(y, x, t, context) -> (batch,)`` and ``ratio = exp(log_ratio)``.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..processes.base import Process
from ..processes.jump_laws import JumpLaw
from ..processes.jumps import Jumps

#: log-ratios are clamped to ``±LOG_RATIO_MAX`` before ``exp`` (keeps early training finite)
LOG_RATIO_MAX = 30.0


class JumpRatioModel(nn.Module):
    """Base: ``log_ratio(y, x, t, context)`` and ``ratio``; ``squash=True`` feeds ``asinh`` of the
    features to the backbone (for heavy-tailed data whose coordinates span many orders of
    magnitude)."""

    #: ``log ρ(y, x) = -log ρ(x, y)`` holds by construction (both subclasses); losses may use it
    antisymmetric = True

    def __init__(self, net: nn.Module, process: Process, squash: bool = False) -> None:
        super().__init__()
        process.block(Jumps)  # MissingCapability unless the process has a jump block
        self.net, self.process, self.squash = net, process, bool(squash)

    def _features(self, z: Tensor, t: Tensor) -> Tensor:
        f = self.process.space.features(z) * self.process.input_scale(t)[:, None]
        return torch.asinh(f) if self.squash else f

    def grouped(self, z: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        """The backbone at a group of points per row: ``z`` ``(n, m, *event)``, ``t`` ``(n,)``;
        returns ``(n, m, dim_out)``. The backbone takes grouped rows with one time per row, as
        :class:`~dmm.networks.MLP` does, so the group shares the time (and context) embedding."""
        n, m = z.shape[0], z.shape[1]
        f = self._features(z.reshape(n * m, *z.shape[2:]), t.repeat_interleave(m))
        return self.net(f.reshape(n, m, -1), t / self.process.T, context)

    def log_ratio(self, y: Tensor, x: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        raise NotImplementedError

    def ratio(self, y: Tensor, x: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        """``ρ_θ(y, x, t) = φ_θ(x, t) / φ_θ(y, t)`` (backward jump ``y → x``)."""
        return torch.exp(self.log_ratio(y, x, t, context).clamp(-LOG_RATIO_MAX, LOG_RATIO_MAX))

    def forward(self, y: Tensor, x: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        return self.ratio(y, x, t, context)


class DirectRatio(JumpRatioModel):
    """``log ρ_θ(y, x, t) = N(y, x - y, t) - N(x, y - x, t)``; the backbone reads
    ``(features(y), features(x - y))`` (on the torus ``features`` are ``cos, sin``, so the
    displacement is read modulo ``2π``) and has ``dim_out = 1``."""

    def log_ratio(self, y, x, t, context=None):
        # both halves in one batched call: (y, x - y) in the first m rows, (x, y - x) in the rest
        m = y.shape[0]
        a, b = torch.cat([y, x]), torch.cat([x, y])
        tt = torch.cat([t, t])
        z = torch.cat([self._features(a, tt), self._features(b - a, tt)], dim=1)
        both = self.net(
            z, tt / self.process.T, None if context is None else torch.cat([context, context])
        )
        both = both.reshape(2 * m)
        return both[:m] - both[m:]


class TrunkRatio(JumpRatioModel):
    """``log ρ_θ(y, x, t) = H(φ(y, t), x ⊖ y) - H(φ(x, t), y ⊖ x)``: a trunk ``φ`` (the backbone,
    ``dim_out = width`` features of one point) and a small head ``H(h, w) = v · silu(L silu(h +
    B f(w)))`` of the point's features and the jump's (``f``: the space's features of ``w = x - y``;
    ``head_depth = 1`` drops ``L``: ``H(h, w) = v · silu(h + B f(w))``).

    The same antisymmetric form as :class:`DirectRatio`, but the backbone reads one point, not a
    pair: ``K`` proposals from ``y`` cost ``φ`` at ``y`` once and at the ``K`` destinations
    (``n (K + 1)`` backbone rows, against :class:`DirectRatio`'s ``2 n K``) plus ``2 n K`` rows of the
    head, whose cost is ``width²`` per row. With ``B = 0`` it is a potential ``U = -H(φ(y), ·)``.
    The trunk is :meth:`~JumpRatioModel.grouped`: a point and its destinations share the time
    embedding.
    """

    def __init__(
        self, net: nn.Module, process: Process, squash: bool = False, head_depth: int = 2
    ) -> None:
        super().__init__(net, process, squash=squash)
        if head_depth not in (1, 2):
            raise ValueError(f"head_depth must be 1 or 2, got {head_depth}")
        width = int(net.dim_out)
        self.jump = nn.Linear(process.space.feature_dim, width)
        self.mix = nn.Linear(width, width) if head_depth == 2 else None
        self.head = nn.Linear(width, 1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)
        if hasattr(net, "out"):  # the backbone's output layer is zero at init: the trunk needs
            net.out.reset_parameters()  # features from the start (the head's zeros make ρ = 1)

    def _head(self, h: Tensor, w: Tensor, t: Tensor) -> Tensor:
        a = nn.functional.silu(h + self.jump(self._features(w, t)))
        if self.mix is not None:
            a = nn.functional.silu(self.mix(a))
        return self.head(a).squeeze(-1)

    def log_ratios_to(
        self, y: Tensor, x: Tensor, t: Tensor, context: Tensor | None = None
    ) -> Tensor:
        """``log ρ_θ(y, x_k, t)`` for ``K`` destinations per row (``x``: ``(n, K, *event)``,
        result ``(n, K)``): the trunk at the ``n (K + 1)`` points in one call."""
        n, k = x.shape[0], x.shape[1]
        h = self.grouped(torch.cat([y[:, None], x], 1), t, context)  # (n, K + 1, width)
        hy, hx = h[:, :1].expand(n, k, -1).reshape(n * k, -1), h[:, 1:].reshape(n * k, -1)
        tk = t.repeat_interleave(k).repeat(2)
        w = x.reshape(n * k, *x.shape[2:]) - y.repeat_interleave(k, 0)  # read through features
        both = self._head(torch.cat([hy, hx]), torch.cat([w, -w]), tk)  # both ends in one call
        return (both[: n * k] - both[n * k :]).reshape(n, k)

    def log_ratio(self, y, x, t, context=None):
        return self.log_ratios_to(y, x[:, None], t, context).reshape(y.shape[0])


class PotentialRatio(JumpRatioModel):
    """``U_θ(y, t) = log φ_θ(y, t)`` (backbone with ``dim_out = 1``): ``ρ = exp(U(x) - U(y))`` and
    ``s = ∇U`` (the space's gradient).

    Pairs and proposals evaluate ``U`` at groups of points per row through :meth:`potentials`
    (:meth:`~JumpRatioModel.grouped`: a point and its destinations share the time embedding)."""

    def potential(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        """``U_θ(y, t)``, ``(batch,)``."""
        return self.potentials(y[:, None], t, context)[:, 0]

    def potentials(self, z: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        """``U_θ(z_ij, t_i)`` for a group of points per row: ``z`` ``(n, m, *event)``, ``t``
        ``(n,)``; returns ``(n, m)``."""
        return self.grouped(z, t, context).squeeze(-1)

    def log_ratios_to(
        self, y: Tensor, x: Tensor, t: Tensor, context: Tensor | None = None
    ) -> Tensor:
        """``log ρ_θ(y, x_k, t) = U(x_k) - U(y)`` for ``K`` destinations per row (``x``:
        ``(n, K, *event)``, result ``(n, K)``): ``U`` at the ``K + 1`` points of each row in one
        call, where pairs from :meth:`log_ratio` would evaluate ``U(y)`` ``K`` times."""
        u = self.potentials(torch.cat([y[:, None], x], 1), t, context)
        return u[:, 1:] - u[:, :1]

    def log_ratio(self, y, x, t, context=None):
        both = self.potentials(torch.stack([x, y], 1), t, context)
        return both[:, 0] - both[:, 1]

    def score(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        """``s_θ = ∇U_θ`` (keeps the graph while training)."""
        create_graph = torch.is_grad_enabled()
        with torch.enable_grad():
            yg = y if y.requires_grad else y.detach().requires_grad_(True)
            (g,) = torch.autograd.grad(
                self.potential(yg, t, context).sum(), yg, create_graph=create_graph
            )
        return g


class FixedTail:
    """A density ``h`` read at every time: ``log h_t(z) = law.log_prob(z)``."""

    def __init__(self, law: JumpLaw) -> None:
        self.law = law

    def log_prob(self, z: Tensor, t: Tensor) -> Tensor:
        return self.law.log_prob(z)

    def __repr__(self) -> str:
        return f"FixedTail({self.law!r})"


class TailPotentialRatio(PotentialRatio):
    """``U_θ(y, t) = log h_t(y) + C tanh(N(y, t) / C)``: a potential whose tail is that of a fixed
    part ``h_t`` and whose learned part is bounded by ``±C`` (``bound``). ``tail`` is either a
    density read at every time (a :class:`~dmm.processes.jump_laws.JumpLaw`, e.g. a Student-t with
    the tail index of the process's stationary law) or any object with ``log_prob(z, t)``, e.g.
    :class:`~dmm.processes.levy_marginal.LevyOUMarginal`, the forward marginal ``p_t`` of a
    heavy-tailed law fitted to the data (then ``N = 0`` is exact for data of that law, and the
    network learns the difference).

    Far out, ``ρ(y, x) = e^{U(x) - U(y)}`` then follows ``h_t`` up to ``e^{±2C}``: the network
    ``N`` fits the bulk, and the decay of ``p_t`` in the tails, which the loss weights by
    ``p_t`` and so barely constrains, is that of ``h_t`` rather than an extrapolation.

    ``radius = r`` (optional) pins the tail index too: ``N`` then reads the features ``f``
    through ``f / sqrt(1 + |f|²/r²)``, a point of the ball of radius ``r`` that tends to
    ``r f/|f|`` as ``|f| → ∞``, so ``N`` tends to a constant along each ray and ``U = log h_t +
    O(1)`` decays exactly as ``log h_t`` (``P(|x| > R) ∝ R^{-ν}`` for a Student-t ``h`` of index
    ``ν``). Without it (``asinh`` features, which grow like ``log |f|``) ``N`` extrapolates
    linearly in ``log |f|`` and can shift the index by up to ``2C / log(R_2/R_1)`` between two
    radii. The learned part then sets, per direction and time, only the tail's constant.
    """

    def __init__(
        self,
        net: nn.Module,
        process: Process,
        tail,
        bound: float = 10.0,
        squash: bool = True,
        radius: float | None = None,
    ) -> None:
        super().__init__(net, process, squash=squash)
        if bound <= 0:
            raise ValueError(f"bound must be positive, got {bound}")
        if radius is not None and not radius > 0:
            raise ValueError(f"radius must be positive, got {radius}")
        self.tail = FixedTail(tail) if isinstance(tail, JumpLaw) else tail
        self.bound = float(bound)
        self.radius = None if radius is None else float(radius)

    def _features(self, z: Tensor, t: Tensor) -> Tensor:
        if self.radius is None:
            return super()._features(z, t)
        f = self.process.space.features(z) * self.process.input_scale(t)[:, None]
        size = (f**2).sum(-1, keepdim=True) / self.radius**2
        return f * torch.rsqrt(1 + size)

    def _fixed(self, z: Tensor, t: Tensor) -> Tensor:
        """``log h_t(z_ij)`` for a group of points per row (``(n, m)``)."""
        n, m = z.shape[0], z.shape[1]
        return self.tail.log_prob(z.reshape(n * m, -1), t.repeat_interleave(m)).reshape(n, m)

    def potentials(self, z: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        learned = super().potentials(z, t, context)
        base = self._fixed(z, t).to(learned.dtype)
        return base + self.bound * torch.tanh(learned / self.bound)

    @torch.no_grad()
    def fixed_log_ratios_to(self, y: Tensor, x: Tensor, t: Tensor) -> Tensor:
        """The fixed tail's part of ``log ρ_θ(y, x_k, t)``, ``log h_t(x_k) - log h_t(y)`` (``x``:
        ``(n, K, *event)``, result ``(n, K)``, no gradient): :func:`fixed_log_ratios`."""
        h = self._fixed(torch.cat([y[:, None], x], 1), t).to(y.dtype)
        return h[:, 1:] - h[:, :1]


class NoDiffusionScore(nn.Module):
    """The score head of a process whose diffusion block has ``D = 0`` (a pure drift): the backward
    drift ``-b + ∇·D + D s`` does not read ``s``, so zeros are exact. Declared, never guessed."""

    def __init__(self, process: Process) -> None:
        super().__init__()
        self.process = process

    def score(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        return torch.zeros_like(y)


class JumpDiffusionModel(nn.Module):
    """Both score coordinates of a jump-diffusion: ``score`` from ``score_model``, ``ratio`` and
    ``log_ratio`` from ``ratio_model`` (two heads, trained by the sum of their block losses)."""

    def __init__(self, score_model: nn.Module, ratio_model: JumpRatioModel) -> None:
        super().__init__()
        self.score_model, self.ratio_model = score_model, ratio_model

    def score(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        return self.score_model.score(y, t, context)

    @property
    def antisymmetric(self) -> bool:
        return bool(getattr(self.ratio_model, "antisymmetric", False))

    def log_ratio(self, y, x, t, context=None) -> Tensor:
        return self.ratio_model.log_ratio(y, x, t, context)

    def log_ratios_to(self, y, x, t, context=None) -> Tensor:
        return proposal_log_ratios(self.ratio_model, y, x, t, context)

    def fixed_log_ratios_to(self, y, x, t) -> Tensor:
        return fixed_log_ratios(self.ratio_model, y, x, t)

    def ratio(self, y, x, t, context=None) -> Tensor:
        return self.ratio_model.ratio(y, x, t, context)


def proposal_log_ratios(
    model: nn.Module, y: Tensor, x: Tensor, t: Tensor, context: Tensor | None = None
) -> Tensor:
    """``log ρ_θ(y_i, x_ik, t_i)`` for ``K`` destinations per row: ``y`` ``(n, *event)``, ``x``
    ``(n, K, *event)``, ``t`` ``(n,)``; returns ``(n, K)``. A model with ``log_ratios_to`` shares
    the work on ``y`` across its ``K`` proposals (a potential: ``n (K + 1)`` evaluations instead of
    ``2 n K``); any other model gets the ``n K`` pairs through ``log_ratio``."""
    if hasattr(model, "log_ratios_to"):
        return model.log_ratios_to(y, x, t, context)
    n, k = x.shape[0], x.shape[1]
    ck = None if context is None else context.repeat_interleave(k, 0)
    ys, xs = y.repeat_interleave(k, 0), x.reshape(n * k, *x.shape[2:])
    return model.log_ratio(ys, xs, t.repeat_interleave(k), ck).reshape(n, k)


def fixed_log_ratios(model: nn.Module, y: Tensor, x: Tensor, t: Tensor) -> Tensor:
    """The part of ``log ρ_θ(y_i, x_ik, t_i)`` that ``model`` fixes by construction, not learned
    (its ``fixed_log_ratios_to``, e.g. :class:`TailPotentialRatio`'s tail; shapes as
    :func:`proposal_log_ratios`); 0 for a model that declares none. Losses may count their
    offsets from it (:func:`~dmm.losses.score_entropy_jumps.relative_offsets`)."""
    if hasattr(model, "fixed_log_ratios_to"):
        return model.fixed_log_ratios_to(y, x, t)
    return torch.zeros(x.shape[:2], dtype=y.dtype, device=y.device)


__all__ = [
    "fixed_log_ratios",
    "proposal_log_ratios",
    "DirectRatio",
    "JumpDiffusionModel",
    "NoDiffusionScore",
    "PotentialRatio",
    "JumpRatioModel",
    "FixedTail",
    "TailPotentialRatio",
    "TrunkRatio",
]
