"""Central finite differences, for the tests that check a gradient against its function."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor


def central_gradient(f: Callable[[Tensor], Tensor], x: Tensor, h: float) -> Tensor:
    """``(f(x + h e_i) - f(x - h e_i)) / 2h`` for each coordinate ``i`` of the rows of ``x``
    (``(n, d)``; ``f`` maps them to ``(n,)``): the gradient up to ``O(h²)``, ``(n, d)``."""
    columns = []
    for i in range(x.shape[1]):
        e = torch.zeros(x.shape[1], dtype=x.dtype)
        e[i] = h
        columns.append((f(x + e) - f(x - e)) / (2 * h))
    return torch.stack(columns, 1)
