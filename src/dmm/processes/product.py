"""Products of processes (MATH.md §10): independent forward processes side by side on
``E_1 × … × E_m``, for rows that mix real, positive, angular and categorical coordinates.

Generator ``L_t = Σ_k L^k_t ⊗ id`` (each factor's blocks act on its own columns), kernel
``p_{t|0} = Π_k p^k_{t|0}``, reference ``q = ⊗_k q_k``, terminal bound ``Σ_k E KL(p^k_{T|0} || q_k)``.
The marginals ``p_t`` do **not** factorise, so the backward generator of factor ``k`` reads the
joint density: ``←b^k = -b^k + ∇_k·D^k + D^k ∇_{x^k} log p_t(x)`` for a diffusion factor,
``←Q(y, y^{k←v}) = Q^k_t(v, y^k) p_t(y^{k←v}) / p_t(y)`` for a chain factor, the same ratio with
``y^{k←x^k}`` for a jump factor. The model is one network over the whole row with one head per
factor (:class:`dmm.scores.product.ProductModel`), the loss the sum of the factors' losses on one
draw of ``t`` (:class:`dmm.losses.product.ProductLoss`), the sampler a splitting over factors
(:class:`dmm.samplers.product.ProductSampler`).
"""

from __future__ import annotations

from contextlib import nullcontext

import torch
from torch import Tensor

from ..spaces.product import Product
from .base import Block, MissingCapability, Process, expand_time
from .references import Reference


class OnFactor(Block):
    """Block ``L^k ⊗ id``: factor ``k``'s block acting on its own columns of a product row."""

    def __init__(self, block: Block, k: int, space: Product) -> None:
        self.block, self.k, self.product = block, int(k), space

    def __repr__(self) -> str:
        return f"OnFactor({self.block!r}, k={self.k})"

    def forward_step(self, space, x, t, h, generator) -> Tensor:
        part = self.product.part(x, self.k)
        moved = self.block.forward_step(self.product.factors[self.k], part, t, h, generator)
        return self.product.replace(x, self.k, moved)

    def generator(self, space, f, x, t) -> Tensor:
        def on_part(part: Tensor) -> Tensor:
            rows = x.repeat_interleave(part.shape[0] // x.shape[0], dim=0)
            return f(self.product.replace(rows, self.k, part))

        part = self.product.part(x, self.k)
        return self.block.generator(self.product.factors[self.k], on_part, part, t)


class ProductReference(Reference):
    """``q = ⊗_k q_k``: independent draws of every factor's reference, side by side."""

    def __init__(self, space: Product, references: tuple[Reference, ...]) -> None:
        self.space, self.references = space, references

    def sample(self, n: int, generator: torch.Generator | None = None, device=None) -> Tensor:
        return self.space.join([q.sample(n, generator, device) for q in self.references])

    def log_prob(self, x: Tensor) -> Tensor:
        return sum(q.log_prob(p) for q, p in zip(self.references, self.space.split(x)))

    def __repr__(self) -> str:
        return f"ProductReference({', '.join(map(repr, self.references))})"


class ProductProcess(Process):
    """Independent forward processes ``factors`` on ``Product(*spaces)`` (module doc). Every factor
    must share ``T`` and ``t_min`` (one draw of ``t`` serves them all); give each its own
    schedule so that every factor reaches its reference by ``T``.

    Generator ``L_t = Σ_k L^k_t``, factor ``k``'s generator acting on its own coordinates;
    backward generator ``←L_t = Σ_k ←L^k_t``, each factor's backward formula with the score
    coordinates of the joint ``p_t`` (one network over the whole row, MATH.md §10)."""

    @classmethod
    def default_name(cls) -> str:
        return "Product"

    def __init__(self, *factors: Process) -> None:
        if len(factors) < 2:
            raise ValueError(f"a product needs at least two processes, got {len(factors)}")
        bad = [f for f in factors if not isinstance(f, Process) or isinstance(f, ProductProcess)]
        if bad:
            raise TypeError(f"product factors must be (non-product) processes, got {bad!r}")
        horizons = {(f.T, f.t_min) for f in factors}
        if len(horizons) > 1:
            raise ValueError(
                "product factors must share T and t_min (one time serves them all); got "
                + ", ".join(f"{f.name}: T={f.T}, t_min={f.t_min}" for f in factors)
            )
        self.factors = tuple(factors)
        space = Product(*(f.space for f in factors))
        blocks = tuple(OnFactor(b, k, space) for k, f in enumerate(factors) for b in f.blocks)
        refs = tuple(f.reference for f in factors)
        reference = None if any(q is None for q in refs) else ProductReference(space, refs)
        T, t_min = factors[0].T, factors[0].t_min
        super().__init__(space, blocks, reference, T, t_min)
        self.has_exact_transition = all(f.has_exact_transition for f in factors)
        self.has_denoiser = any(f.has_denoiser for f in factors)

    def __repr__(self) -> str:
        return f"product({', '.join(map(repr, self.factors))})"

    def sample_marginal(self, x0: Tensor, t: Tensor, generator: torch.Generator | None) -> Tensor:
        """Each factor's marginal given its own ``x_0`` columns (the kernel factorises)."""
        parts = self.space.split(x0)
        t = expand_time(t, x0.shape[0], x0)
        return self.space.join(
            [f.sample_marginal(p, t, generator) for f, p in zip(self.factors, parts)]
        )

    def sample_transition(self, x0: Tensor, t: Tensor, generator: torch.Generator | None) -> Tensor:
        if not self.has_exact_transition:
            raise MissingCapability("a factor of this product has no exact transition sampler")
        return self.sample_marginal(x0, t, generator)

    def terminal_kl(self, x0: Tensor) -> Tensor:
        """``Σ_k KL(p^k_{T|0}(·|x^k_0) || q_k)`` per sample."""
        return sum(f.terminal_kl(p) for f, p in zip(self.factors, self.space.split(x0)))

    def terminal_tv(self, x0: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """``min(1, Σ_k TV_k)`` per sample: the kernel and the reference are products, and the TV
        of product laws is at most the sum of the factors' (couple the factors independently)."""
        parts = zip(self.factors, self.space.split(x0))
        return sum(f.terminal_tv(p, generator) for f, p in parts).clamp(max=1.0)

    def denoise(self, rev, y: Tensor, t: Tensor) -> Tensor:
        """Each factor with a denoiser applies it with its own head, all from the row ``y`` (one
        network evaluation for a :class:`~dmm.scores.product.ProductModel`); the others stay as
        they are."""
        from ..scores.product import ProductModel, factor_reversal

        parts = []
        shared = (
            rev.model.shared_outputs() if isinstance(rev.model, ProductModel) else nullcontext()
        )
        with shared:
            for k, f in enumerate(self.factors):
                part = self.space.part(y, k)
                reversal = factor_reversal(rev, k, y)
                parts.append(f.denoise(reversal, part, t) if f.has_denoiser else part)
        return self.space.join(parts)


def product(*factors: Process) -> ProductProcess:
    """``X_t = (X^1_t, …, X^m_t)``: the factors run independently, each on its own columns of a
    data row (MATH.md §10). E.g. ``product(VP(2), AbsorbingChain(S=5, d=1))`` for rows of two real
    columns and one category in ``0..4``."""
    return ProductProcess(*factors)


__all__ = ["OnFactor", "ProductProcess", "ProductReference", "product"]
