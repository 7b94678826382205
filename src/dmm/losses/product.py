"""The loss of a product process (MATH.md §10): the sum of the factors' losses on one draw.

The kernel factorises, so ``∇_{x^k} log p_{t|0}(x|x_0) = ∇ log p^k_{t|0}(x^k|x^k_0)`` and a chain
factor's ratio ``r_0`` is its own kernel's; the path KL of §4 is therefore the sum of the factors'
terms, each evaluated with the joint model at the joint ``x_t`` drawn at one ``t``:

    ℓ = Σ_k ℓ^k(φ_θ; x^k_0, x_t, t),     x_t = (x^1_t, …, x^m_t),  x^k_t ~ p^k_{t|0}(·|x^k_0).

Every term is put on the integrated scale (a per-unit-time term is multiplied by ``T - t_min``),
so with the KL weightings the sum is the bound.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import Tensor, nn

from ..processes.product import ProductProcess
from ..scores.product import factor_context
from .base import Loss, Noised


class ProductLoss(Loss):
    """``Σ_k ℓ^k`` over the factors of a :class:`ProductProcess`; ``losses[k]`` is a loss built on
    factor ``k`` (any loss with :meth:`~dmm.losses.base.Loss.noise` and
    :meth:`~dmm.losses.base.Loss.term`); the model is a :class:`~dmm.scores.product.ProductModel`."""

    per_unit_time = False

    def __init__(self, process: ProductProcess, losses: list[Loss] | tuple[Loss, ...]) -> None:
        if not isinstance(process, ProductProcess):
            raise TypeError(f"ProductLoss needs a product process, got {process.name}")
        if len(losses) != len(process.factors):
            raise ValueError(
                f"need one loss per factor ({len(process.factors)}), got {len(losses)}"
            )
        for loss, factor in zip(losses, process.factors):
            if loss.process is not factor:
                raise ValueError(f"{type(loss).__name__} is not built on its factor {factor.name}")
        super().__init__(process)
        self.losses = tuple(losses)

    @property
    def scores_entries(self) -> bool:  # type: ignore[override]
        return all(loss.scores_entries for loss in self.losses)

    def kl_form(self) -> ProductLoss:
        return ProductLoss(self.process, [loss.kl_form() for loss in self.losses])

    def noise(self, x0: Tensor, t: Tensor, generator: torch.Generator | None) -> Noised:
        space = self.process.space
        parts = [loss.noise(p, t, generator) for loss, p in zip(self.losses, space.split(x0))]
        # the joint x_t in `xt`, each factor's own draw (with its latent, if any) in `latent`
        return Noised(space.join([n.xt for n in parts]), latent=parts)  # type: ignore[arg-type]

    def term(
        self,
        model: nn.Module,
        x0: Tensor,
        noised: Noised,
        t: Tensor,
        generator: torch.Generator | None,
        context: Tensor | None = None,
    ) -> Tensor:
        p, space = self.process, self.process.space
        total = torch.zeros(x0.shape[0], dtype=noised.xt.dtype, device=x0.device)
        for k, (loss, part) in enumerate(zip(self.losses, noised.latent)):
            if noised.scored is not None:  # each factor sums its own columns' scored entries
                columns = noised.scored.reshape(x0.shape[0], -1)[:, space.columns(k)]
                part = dataclasses.replace(part, scored=columns)
            ctx = factor_context(space, noised.xt, k, context)
            term = loss.term(model.view(k), space.part(x0, k), part, t, generator, ctx)
            total = total + (p.T - p.t_min) * term if loss.per_unit_time else total + term
        return total


__all__ = ["ProductLoss"]
