"""Values at a network's floating dtype."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor


def at_model_dtype(x: Any, model: Any) -> Tensor:
    """``x`` (a tensor or an array) as a tensor, floating values at the floating dtype of
    ``model``'s parameters (integer codes, and anything beside a model without parameters, kept
    as they are)."""
    x = torch.as_tensor(x)
    params = model.parameters() if isinstance(model, torch.nn.Module) else ()
    dtype = next((p.dtype for p in params if p.is_floating_point()), None)
    return x.to(dtype) if x.is_floating_point() and dtype is not None else x


__all__ = ["at_model_dtype"]
