"""The context rows a model reads: how wide its networks say they are, and rows checked against
that before training or sampling (a clear error, not a shape error deep in a layer)."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor


def reads_context(model: Any) -> int | None:
    """The width of the context ``model`` reads (``0``: none): the ``context_dim`` of the
    outermost of its modules that declares one (a model that reads the context another way
    than its network does, as :class:`~dmm.scores.body_frame.BodyFrameScore`, declares its
    own); ``None`` where none does (a network of the user's own)."""
    if not isinstance(model, torch.nn.Module):
        return None
    for m in model.modules():  # the model itself first, then its submodules, outermost first
        width = getattr(m, "context_dim", None)
        if isinstance(width, int) and not isinstance(width, bool):
            return width
    return None


def checked_context(
    context: Any, rows: int, width: int | None, what: str = "context", per: str = "data row"
) -> Tensor | None:
    """``context`` as a tensor of ``rows`` rows (one per ``per``) of ``width`` numbers
    (``width`` ``None``: any width), all finite; ``None`` where ``width`` is ``0`` or unknown
    and none is given. A :class:`ValueError` that says which of these fails."""
    if context is None:
        if width:
            raise ValueError(
                f"the model reads a {what} of {width} numbers per row (its context_dim): give one"
            )
        return None
    if width == 0:
        raise ValueError(
            f"a {what} was given, but the model reads none: build it with context_dim "
            "(recipe(..., context_dim=k)) to condition on k numbers per row"
        )
    c = torch.as_tensor(context)
    if c.dim() != 2 or len(c) != rows:
        raise ValueError(
            f"{what} has shape {tuple(c.shape)}, expected ({rows}, k): one row of numbers per {per}"
        )
    if width is not None and c.shape[1] != width:
        raise ValueError(f"{what} rows have {c.shape[1]} numbers, the model reads {width}")
    if c.is_floating_point() and not torch.isfinite(c).all():
        bad = torch.nonzero(~torch.isfinite(c).all(dim=1)).flatten().tolist()
        raise ValueError(f"{what} has NaN or infinite values in row(s) {bad[:5]} (counted from 0)")
    return c


__all__ = ["checked_context", "reads_context"]
