"""Chain score coordinates: the ratios ``ρ_θ(y)_{i,v} ≈ p_t(y^{i←v}) / p_t(y)`` (MATH.md §3).

Two parameterisations of the same quantity:

* :class:`DirectRatios` — the network outputs ``log ρ_θ`` (``d × n_states`` values per sample);
* :class:`MeanRatios` — the network outputs logits ``ℓ`` and the clean-data posterior is
  ``p_θ(x_0^i = a | y) ∝ softmax(ℓ)_a · p^i_{t|0}(y_i | a)``; then
  ``ρ_θ(y)_{i,v} = Σ_a p_θ(x_0^i=a | y) p^i_{t|0}(v|a) / p^i_{t|0}(y_i|a) = (π P_t)_v / (π
  P_t)_{y_i}`` with ``π = softmax(ℓ)`` and ``P_t = exp(B(t) R)``. Both are exact identities of
  MATH.md §3; the ``p^i_{t|0}(y_i | a)`` factor makes the posterior respect the kernel (for the
  absorbing chain an unmasked coordinate is its own clean value, by construction).

Every model also gives ``x0_probs``: the posterior implied by its ratios,
``p(a | y) ∝ (ρ exp(-B R))_a · exp(B R)(a, y_i)`` (inverting ``ρ = π P_t / (π P_t)_{y_i}``).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..processes.base import MissingCapability, Process
from ..processes.chains import Chain
from ..spaces.discrete import Discrete

#: log-ratios are clamped to ±LOG_RATIO_MAX (``ρ`` between ~1e-13 and ~1e13)
LOG_RATIO_MAX = 30.0


class ChainRatioModel(nn.Module):
    """Base: ``ratios(y, t, context) -> ρ_θ (batch, d, n_states)`` with ``ρ_{i, y_i} = 1``.

    ``net(features, t/T, context)`` reads one-hot features ``(batch, d · n_states)`` and returns
    ``(batch, d · out_per_position)``.
    """

    def __init__(self, net: nn.Module | None, process: Process) -> None:
        if not isinstance(process.space, Discrete):
            raise TypeError(f"{type(self).__name__} needs a chain process, got {process.name}")
        super().__init__()
        self.net = net
        self.process = process
        self.chain = process.block(Chain)

    out_per_position: int

    def raw(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        out = self.net(self.process.space.features(y), t / self.process.T, context)
        return out.reshape(y.shape[0], y.shape[1], -1)

    @property
    def out_dim(self) -> int:
        """Width of the backbone's output: ``d · out_per_position``."""
        return self.process.space.d * self.out_per_position

    def log_ratios_from_raw(self, out: Tensor, y: Tensor, t: Tensor) -> Tensor:
        """``log ρ_θ(y)`` from the backbone's output ``out`` of shape ``(batch, d, -1)``."""
        raise NotImplementedError

    def log_ratios(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        return self.log_ratios_from_raw(self.raw(y, t, context), y, t)

    def x0_probs_from_raw(self, out: Tensor, y: Tensor, t: Tensor) -> Tensor:
        """``p_θ(x_0^i = a | y)`` implied by the output ``out`` (through the ratios)."""
        c, S = self.chain, self.process.space.S
        b = c.integral(t)
        rho = torch.exp(self.log_ratios_from_raw(out, y, t))
        w = c.kernel_apply(rho, -b) * c.kernel_column(y, b)
        w = w[..., :S].clamp_min(0)
        return w / w.sum(-1, keepdim=True).clamp_min(1e-30)

    def ratios(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        return torch.exp(self.log_ratios(y, t, context))

    def x0_probs(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        """``p_θ(x_0^i = a | y)`` over the data values ``a < S``, implied by the ratios."""
        return self.x0_probs_from_raw(self.raw(y, t, context), y, t)

    def score(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        raise MissingCapability("a chain model has ratios, not a score (use ratios())")

    def forward(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        return self.ratios(y, t, context)


class DirectRatios(ChainRatioModel):
    """``log ρ_θ(y)_{i,v} = net(y, t)_{i,v}`` (clamped), and ``ρ_{i,y_i} = 1``. Only ratios with
    ``R(v, y_i) > 0`` are trained by score entropy; the Tweedie step and the denoiser read all of
    them, so prefer :class:`MeanRatios` with them for sparse ``R`` (absorbing, birth–death)."""

    @property
    def out_per_position(self) -> int:
        return self.process.space.n_states

    def log_ratios_from_raw(self, out: Tensor, y: Tensor, t: Tensor) -> Tensor:
        lr = out.clamp(-LOG_RATIO_MAX, LOG_RATIO_MAX)
        return lr.scatter(-1, y.long()[..., None], 0.0)


class MeanRatios(ChainRatioModel):
    """Mean / ``x_0`` parameterisation (module doc): logits ``ℓ`` over the ``S`` data values."""

    @property
    def out_per_position(self) -> int:
        return self.process.space.S

    def _prior(self, out: Tensor) -> Tensor:
        pi = torch.softmax(out, -1)
        pad = self.process.space.n_states - self.process.space.S
        return nn.functional.pad(pi, (0, pad)) if pad else pi

    def log_ratios_from_raw(self, out: Tensor, y: Tensor, t: Tensor) -> Tensor:
        num = self.chain.kernel_apply(self._prior(out), self.chain.integral(t))
        lnum = torch.log(num.clamp_min(1e-30))
        lr = lnum - torch.gather(lnum, -1, y.long()[..., None])
        return lr.clamp(-LOG_RATIO_MAX, LOG_RATIO_MAX).scatter(-1, y.long()[..., None], 0.0)

    def x0_probs_from_raw(self, out: Tensor, y: Tensor, t: Tensor) -> Tensor:
        c, S = self.chain, self.process.space.S
        w = self._prior(out) * c.kernel_column(y, c.integral(t))
        w = w[..., :S].clamp_min(0)
        return w / w.sum(-1, keepdim=True).clamp_min(1e-30)


__all__ = ["DirectRatios", "LOG_RATIO_MAX", "MeanRatios", "ChainRatioModel"]
