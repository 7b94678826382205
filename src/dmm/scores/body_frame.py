"""A rotation-equivariant conditional score on SO(3): the network reads the observed view in the body
frame of the pose it scores.

The context ``c`` is a vector of symmetric tensors in the world frame (layout
:class:`~dmm.networks.symmetric_tensors.SymmetricTensorLayout`), e.g. the moment tensors of a solid
seen in orientation ``R``. At a candidate pose ``y`` the network reads only

    b(y, c) = yᵀ · c        (each tensor rotated by ``yᵀ``),

and outputs the score as a body-frame tangent vector (the SO(3) convention: ``v`` stands for
``y v̂``). Both are unchanged under the joint left action ``(y, c) ↦ (Q y, Q·c)``, so the model is
equivariant by construction: ``s(Q y, Q·c) = s(y, c)`` in body coordinates, which is the symmetry of
the true conditional score ``∇ log p_t(y | R)`` when ``p_0(· | QR) = Q_* p_0(· | R)`` (with the
Brownian forward process, ``L_t = ½β Δ``, ``←L_τ f = β ∇log p_t·∇f + ½βΔf``, which commute with left
translations). For the symmetric solids, ``y = R g`` gives ``b = gᵀ Rᵀ R · m = gᵀ · m = m`` (``G``
permutes the vertices): every one of the ``|G|`` poses presents the same canonical view, so the
score is a function of how far ``b`` is from it, not a ``|G|``-modal function of ``(y, c)``.
"""

from __future__ import annotations

from torch import Tensor, nn

from ..networks.symmetric_tensors import SymmetricTensorLayout
from ..processes.base import Process
from ..spaces.so3 import SO3
from .models import ScoreModel


class BodyFrameScore(ScoreModel):
    """``s_θ(y, t, c) = net(yᵀ·c, t)``: score in body coordinates from the body-frame view.

    ``net`` maps ``(layout.dim features, t/T, None) -> 3`` (build it with ``context_dim = 0``; the
    context enters through the features). Needs a process on :class:`~dmm.spaces.so3.SO3` and a
    context at every call.
    """

    def __init__(self, net: nn.Module, process: Process, layout: SymmetricTensorLayout) -> None:
        if not isinstance(process.space, SO3):
            raise TypeError(f"BodyFrameScore needs a process on SO(3), got {process.space!r}")
        super().__init__(net, process)
        self.layout = layout
        #: the width of the context it reads (through the features, not the network's)
        self.context_dim = layout.dim

    def body_view(self, y: Tensor, context: Tensor | None) -> Tensor:
        """``yᵀ·c``: the context tensors expressed in the body frame of ``y``."""
        if context is None:
            raise ValueError("BodyFrameScore is conditional: pass the view tensors as context")
        return self.layout.rotate(context.to(y.dtype), y.transpose(-1, -2))

    def raw(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        feats = self.body_view(y, context) * self.process.input_scale(t)[:, None]
        return self.net(feats, t / self.process.T, None).reshape(y.shape[0], 3)

    def score(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        return self.raw(y, t, context)


__all__ = ["BodyFrameScore"]
