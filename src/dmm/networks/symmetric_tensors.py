"""Symmetric tensors on R³ stored by their unique entries, and their rotation.

A symmetric tensor ``M`` of degree ``k`` is stored by the entries ``M_{i₁…i_k}`` with
``i₁ ≤ … ≤ i_k`` (``itertools.combinations_with_replacement`` order, ``C(k+2, 2)`` numbers); a
context vector is the concatenation of such blocks for several degrees (e.g. the moment tensors
``Σ_v v^{⊗k}`` of a point set, :func:`dmm.data.so3.view_context`). A rotation ``Q`` acts on each
block by ``(Q·M)_{a₁…a_k} = Q_{a₁j₁} ⋯ Q_{a_kj_k} M_{j₁…j_k}``, which maps the moments of ``{v}`` to
the moments of ``{Q v}``; this is what :class:`dmm.scores.body_frame.BodyFrameScore` uses to express
an observed view in the frame of a candidate pose.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch
from torch import Tensor


class SymmetricTensorLayout:
    """The layout of a vector of symmetric tensors on R³ of the given ``degrees`` (unique
    entries, one block per degree, in order). ``dim`` is the vector's length."""

    def __init__(self, degrees: Sequence[int]) -> None:
        if not degrees or any(int(k) < 1 for k in degrees):
            raise ValueError(f"degrees must be positive integers, got {list(degrees)}")
        self.degrees = tuple(int(k) for k in degrees)
        self._unique = [list(itertools.combinations_with_replacement(range(3), k)) for k in degrees]
        # for each full multi-index (row-major), the position of its sorted version in the block
        self._gather = []
        for k, unique in zip(self.degrees, self._unique):
            pos = {c: i for i, c in enumerate(unique)}
            full = [pos[tuple(sorted(m))] for m in itertools.product(range(3), repeat=k)]
            self._gather.append(torch.tensor(full))
        self.sizes = [len(u) for u in self._unique]
        self.dim = sum(self.sizes)

    def unpack(self, x: Tensor) -> list[Tensor]:
        """``(batch, dim) -> [(batch, 3, …, 3)]``: the full symmetric tensors, one per degree."""
        if x.shape[-1] != self.dim:
            raise ValueError(
                f"expected {self.dim} tensor entries (degrees {self.degrees}), got {x.shape[-1]}"
            )
        out = []
        for block, k, idx in zip(x.split(self.sizes, -1), self.degrees, self._gather):
            out.append(block[:, idx.to(x.device)].reshape(x.shape[0], *[3] * k))
        return out

    def pack(self, tensors: Sequence[Tensor]) -> Tensor:
        """Inverse of :meth:`unpack` (reads the entries with sorted indices)."""
        blocks = []
        for t, unique in zip(tensors, self._unique):
            idx = torch.tensor(unique, device=t.device).T  # (k, size)
            blocks.append(t[(slice(None), *idx)])
        return torch.cat(blocks, -1)

    def rotate(self, x: Tensor, q: Tensor) -> Tensor:
        """``Q·M`` for every block: ``(batch, dim)`` and rotations ``(batch, 3, 3)`` -> ``(batch,
        dim)``. Mode products one index at a time (``k`` contractions of size ``3^{k+1}``)."""
        q = q.to(x.dtype)
        rotated = []
        for t in self.unpack(x):
            for _ in range(t.ndim - 1):  # apply Q to the first tensor index, then cycle it last
                t = torch.einsum("nij,nj...->ni...", q, t).movedim(1, -1)
            rotated.append(t)
        return self.pack(rotated)

    def __repr__(self) -> str:
        return f"SymmetricTensorLayout(degrees={self.degrees})"


__all__ = ["SymmetricTensorLayout"]
