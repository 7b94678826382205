"""The model of a product process (MATH.md §10): one network over the whole row, one head per
factor.

``ProductModel(process, heads, net)``: ``net`` reads every factor's features (scaled by the
factor's input scale) and ``t``, and its output is cut into one slice per head. A head is an
ordinary parameterisation of the factor's score coordinates built without a network (e.g.
``EpsParam(None, VP(2))``, ``MeanRatios(None, AbsorbingChain(1, 5))``): it turns its slice into
the factor's score ``s^k_θ = ∇_{x^k} log φ_θ``, its chain ratios
``ρ_θ(y)_{i,v} = φ_θ(y^{k,i←v}) / φ_θ(y)``, or, for a potential head ``U_θ = log φ_θ``, both of
those and the jump ratio ``φ_θ(y^{k←x^k}) / φ_θ(y)``.

:class:`FactorView` shows factor ``k`` the model as if it were its own: the losses and samplers
written for one process run unchanged on the factor, and the other factors' coordinates travel
in the context (``context = [others, user context]``), so every row operation those codes do on
contexts (repeats for proposals, subsets for thinning) keeps the rows aligned.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import Tensor, nn

from ..processes.product import ProductProcess
from ..reversal.base import Reversal
from .jump_ratios import LOG_RATIO_MAX, PotentialRatio
from .models import PotentialParam, ScoreModel
from .ratios import ChainRatioModel

POTENTIAL_HEADS = (PotentialParam, PotentialRatio)


def head_width(head: nn.Module) -> int:
    """Width of the network slice a head reads."""
    if isinstance(head, POTENTIAL_HEADS):
        return 1
    if isinstance(head, (ScoreModel, ChainRatioModel)):
        return head.out_dim
    raise TypeError(f"no product head for {type(head).__name__}")


class ProductModel(nn.Module):
    """One network over the row of a :class:`ProductProcess`, with one head per factor."""

    def __init__(self, process: ProductProcess, heads: list[nn.Module], net: nn.Module) -> None:
        super().__init__()
        if len(heads) != len(process.factors):
            raise ValueError(f"need one head per factor ({len(process.factors)}), got {len(heads)}")
        for head, factor in zip(heads, process.factors):
            if head.process is not factor:
                raise ValueError(f"head {type(head).__name__} is not built on its factor")
        self.process, self.net = process, net
        self.heads = nn.ModuleList(heads)
        self.widths = [head_width(h) for h in heads]
        self._shared: list[tuple[Tensor, Tensor, Tensor | None, list[Tensor]]] | None = None

    @contextlib.contextmanager
    def shared_outputs(self) -> Iterator[None]:
        """Within the block, a second call of :meth:`outputs` at the same rows, times and context
        returns the first call's result: the factors of one simultaneous sampler step read one
        network evaluation (:class:`~dmm.samplers.product.ProductSampler`)."""
        self._shared = []
        try:
            yield
        finally:
            self._shared = None

    def features(self, y: Tensor, t: Tensor) -> Tensor:
        space = self.process.space
        return torch.cat(
            [
                f.space.features(p) * f.input_scale(t)[:, None]
                for f, p in zip(self.process.factors, space.split(y))
            ],
            dim=1,
        )

    def outputs(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> list[Tensor]:
        """Every head's slice of the network output at rows ``y``."""
        if self._shared is not None:
            for y0, t0, c0, out in self._shared:
                if _same(y0, y) and _same(t0, t) and _same(c0, context):
                    return out
        out = list(
            torch.split(self.net(self.features(y, t), t / self.process.T, context), self.widths, 1)
        )
        if self._shared is not None:
            self._shared.append((y, t, context, out))
        return out

    def view(self, k: int) -> FactorView:
        return FactorView(self, k)


class FactorView:
    """Factor ``k`` of a :class:`ProductModel` seen as a model of the factor alone. Its context is
    ``[the other factors' columns, the user's context]`` (:func:`factor_context`)."""

    def __init__(self, model: ProductModel, k: int) -> None:
        self.model, self.k = model, int(k)
        self.head = model.heads[k]
        self.factor = model.process.factors[k]
        space = model.process.space
        self.n_others = space.event_shape[0] - space.widths[k]

    def _rows(self, part: Tensor, context: Tensor) -> tuple[Tensor, Tensor | None]:
        others, user = context[:, : self.n_others], context[:, self.n_others :]
        rows = self.model.process.space.insert(others, self.k, part)
        return rows, (user if user.shape[1] else None)

    def _out(self, part: Tensor, t: Tensor, context: Tensor) -> Tensor:
        rows, user = self._rows(part, context)
        return self.model.outputs(rows, t, user)[self.k]

    def potential(self, part: Tensor, t: Tensor, context: Tensor) -> Tensor:
        """``U_θ`` at the rows with factor ``k`` set to ``part`` (potential heads)."""
        return self._out(part, t, context).reshape(part.shape[0])

    # --- diffusion factors -----------------------------------------------------------------
    def score(self, part: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        """``∇_{x^k} log φ_θ`` at the row."""
        if isinstance(self.head, POTENTIAL_HEADS):
            return self.factor.space.gradient(
                lambda z: self.potential(z, t, context),
                part,
                create_graph=torch.is_grad_enabled(),
            )
        out = self._out(part, t, context).reshape(part.shape[0], *self.factor.space.tangent_shape)
        return self.head.from_raw(out, part, t)

    # --- chain factors ---------------------------------------------------------------------
    def log_ratios(self, part: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        out = self._out(part, t, context).reshape(part.shape[0], part.shape[1], -1)
        return self.head.log_ratios_from_raw(out, part, t)

    def ratios(self, part: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        return torch.exp(self.log_ratios(part, t, context))

    def x0_probs(self, part: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        out = self._out(part, t, context).reshape(part.shape[0], part.shape[1], -1)
        return self.head.x0_probs_from_raw(out, part, t)

    # --- jump factors ----------------------------------------------------------------------
    #: a potential difference: ``log ρ(y, x) = -log ρ(x, y)`` by construction
    antisymmetric = True

    def log_ratio(self, y: Tensor, x: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        """``log φ_θ(row with x^k = x) - log φ_θ(row with x^k = y)`` (potential heads)."""
        if not isinstance(self.head, POTENTIAL_HEADS):
            raise TypeError("a jump factor of a product needs a potential head (PotentialRatio)")
        both = self.potential(torch.cat([x, y]), torch.cat([t, t]), torch.cat([context, context]))
        return both[: y.shape[0]] - both[y.shape[0] :]

    def ratio(self, y: Tensor, x: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        return torch.exp(self.log_ratio(y, x, t, context).clamp(-LOG_RATIO_MAX, LOG_RATIO_MAX))


def _same(a: Tensor | None, b: Tensor | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.shape == b.shape and bool(torch.equal(a, b))


def factor_context(space, y: Tensor, k: int, context: Tensor | None) -> Tensor:
    """``[the other factors' columns of y, context]``: what factor ``k``'s view reads beside its
    own coordinates."""
    others = space.others(y, k)
    return others if context is None else torch.cat([others, context.to(others.dtype)], dim=1)


def factor_reversal(rev: Reversal, k: int, y: Tensor) -> Reversal:
    """The backward process of factor ``k`` at the product rows ``y``: the factor's own blocks
    driven by the joint model (MATH.md §10)."""
    process = rev.process
    return Reversal(
        process.factors[k],
        rev.model.view(k),
        factor_context(process.space, y, k, rev.context),
    )


__all__ = ["FactorView", "ProductModel", "factor_context", "factor_reversal", "head_width"]
