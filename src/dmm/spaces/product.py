"""Product spaces ``E = E_1 × … × E_m`` (MATH.md §10): one data row holds every factor's
coordinates side by side.

A point of the product is a float tensor ``(batch, n)`` whose columns are the factors' flattened
coordinates in order (a discrete factor's values are stored as exact integers in floats, an SO(3)
factor as its 9 matrix entries). :meth:`Product.split` gives each factor its own states back (with
its own event shape and dtype) and :meth:`Product.join` puts them together again.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from .base import Space, SupportError, shape_hint
from .discrete import Discrete


class Product(Space):
    """``E_1 × … × E_m`` with the product reference measure; points are ``(batch, n)`` rows with
    ``n = Σ_k |event_shape_k|``. Functions on it are never differentiated as a whole: each factor
    keeps its own geometry (steps, noise, gradients) through :meth:`split`."""

    def __init__(self, *factors: Space) -> None:
        if len(factors) < 2:
            raise ValueError(f"a product needs at least two factor spaces, got {len(factors)}")
        bad = [f for f in factors if not isinstance(f, Space) or isinstance(f, Product)]
        if bad:
            raise TypeError(f"product factors must be non-product spaces, got {bad!r}")
        self.factors = tuple(factors)
        self.widths = tuple(math.prod(f.event_shape) for f in factors)
        self.offsets = tuple(sum(self.widths[:k]) for k in range(len(factors)))
        n = sum(self.widths)
        self.event_shape = (n,)
        self.tangent_shape = (n,)
        self.name = " × ".join(f.name for f in factors)
        self.support_text = "; ".join(
            f"{_columns(o, o + w)}: {f.support_text}"
            for f, o, w in zip(self.factors, self.offsets, self.widths)
        )

    def __repr__(self) -> str:
        return f"Product({', '.join(map(repr, self.factors))})"

    @property
    def integer_coordinates(self) -> tuple[bool, ...]:
        """The factors' own, side by side (a discrete factor's columns are integers)."""
        return tuple(flag for f in self.factors for flag in f.integer_coordinates)

    def columns(self, k: int) -> slice:
        """The columns of factor ``k``."""
        return slice(self.offsets[k], self.offsets[k] + self.widths[k])

    def part(self, x: Tensor, k: int) -> Tensor:
        """Factor ``k``'s states from product rows ``x``, in its event shape and dtype."""
        f = self.factors[k]
        flat = x[:, self.columns(k)]
        if isinstance(f, Discrete):
            return flat.round().long()
        return flat.reshape(x.shape[0], *f.event_shape)

    def split(self, x: Tensor) -> list[Tensor]:
        """Every factor's states."""
        return [self.part(x, k) for k in range(len(self.factors))]

    def join(self, parts: list[Tensor]) -> Tensor:
        """Product rows from the factors' states (the inverse of :meth:`split`)."""
        dtype = next((p.dtype for p in parts if p.is_floating_point()), torch.get_default_dtype())
        return torch.cat([p.reshape(p.shape[0], -1).to(dtype) for p in parts], dim=1)

    def replace(self, x: Tensor, k: int, part: Tensor) -> Tensor:
        """``x`` with factor ``k``'s states replaced by ``part`` (differentiable in ``part``)."""
        cols = self.columns(k)
        flat = part.reshape(part.shape[0], -1).to(x.dtype)
        return torch.cat([x[:, : cols.start], flat, x[:, cols.stop :]], dim=1)

    def others(self, x: Tensor, k: int) -> Tensor:
        """The columns of every factor but ``k`` (what factor ``k``'s model reads beside its own)."""
        cols = self.columns(k)
        return torch.cat([x[:, : cols.start], x[:, cols.stop :]], dim=1)

    def insert(self, others: Tensor, k: int, part: Tensor) -> Tensor:
        """Rows from :meth:`others` and factor ``k``'s states (differentiable in ``part``)."""
        start = self.offsets[k]
        flat = part.reshape(part.shape[0], -1).to(others.dtype)
        return torch.cat([others[:, :start], flat, others[:, start:]], dim=1)

    @property
    def feature_dim(self) -> int:
        return sum(f.feature_dim for f in self.factors)

    def features(self, x: Tensor) -> Tensor:
        return torch.cat([f.features(p) for f, p in zip(self.factors, self.split(x))], dim=1)

    def feature_mask(self, cells: Tensor) -> Tensor:
        parts = [cells[:, self.columns(k)] for k in range(len(self.factors))]
        return torch.cat(
            [
                f.feature_mask(p.reshape(p.shape[0], *f.event_shape))
                for f, p in zip(self.factors, parts)
            ],
            dim=1,
        )

    def outside(self, x: Tensor) -> Tensor:
        bad = torch.zeros(x.shape[0], dtype=torch.bool, device=x.device)
        for f, p in zip(self.factors, self.split(x)):
            bad |= f.outside(p)
        return bad

    def validate(self, x: Tensor) -> Tensor:
        """Check shape and finiteness, then each factor's columns with the factor's own check;
        returns float rows (a factor may map its data into itself, e.g. a wrapping torus)."""
        return self._checked(x, states=False)

    def validate_states(self, x: Tensor) -> Tensor:
        """:meth:`validate` with each factor's :meth:`~Space.validate_states` (a MASK state)."""
        return self._checked(x, states=True)

    def _checked(self, x: Tensor, states: bool) -> Tensor:
        x = torch.as_tensor(x)
        if x.ndim != 2 or x.shape[1] != self.event_shape[0]:
            raise SupportError(
                f"data has shape {tuple(x.shape)}, expected (n, {self.event_shape[0]}) for "
                f"{self.name}: {shape_hint(tuple(x.shape), self.event_shape)}"
            )
        if x.dtype == torch.bool or x.is_complex():
            raise SupportError(f"data of dtype {x.dtype} cannot be states of {self.name}")
        x = x.to(torch.get_default_dtype()) if not x.is_floating_point() else x
        parts = []
        for k, f in enumerate(self.factors):
            flat = x[:, self.columns(k)]
            raw = flat if isinstance(f, Discrete) else flat.reshape(x.shape[0], *f.event_shape)
            try:
                parts.append(f.validate_states(raw) if states else f.validate(raw))
            except SupportError as exc:
                cols = self.columns(k)
                raise SupportError(f"{_columns(cols.start, cols.stop)}: {exc}") from None
        return self.join(parts)

    def step(self, y, drift, sigma, h, xi) -> Tensor:
        raise TypeError(f"{self.name} is a product: each factor steps in its own geometry")

    def noise(self, n, generator, like) -> Tensor:
        raise TypeError(f"{self.name} is a product: each factor draws its own noise")


def _columns(start: int, stop: int) -> str:
    """``column 2`` or ``columns 2..4`` (``stop`` excluded)."""
    return f"column {start}" if stop - start == 1 else f"columns {start}..{stop - 1}"


__all__ = ["Product"]
