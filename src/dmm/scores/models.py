"""The model ``φ_θ`` seen through its score coordinates (MATH.md §3).

A score model wraps a backbone network and a forward process and exposes ``score(y, t)``
``= ∇ log φ_θ(y, t)``, the only coordinate the diffusion part of the backward generator reads.
Each class here is one parameterisation of that same quantity.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ..processes.base import MissingCapability, Process
from ..processes.gaussian import GaussianDiffusion
from ..spaces.base import expand_batch
from .conversions import eps_to_score, x0_to_score


class ScoreModel(nn.Module):
    """Base: ``score(y, t, context) -> ∇ log φ_θ(y, t)`` in the tangent shape of the space."""

    def __init__(self, net: nn.Module, process: Process) -> None:
        super().__init__()
        self.net = net
        self.process = process

    def features(self, y: Tensor, t: Tensor) -> Tensor:
        """What the backbone reads: the space's features, scaled by the process's input scale."""
        return self.process.space.features(y) * self.process.input_scale(t)[:, None]

    def raw(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        """The backbone's output reshaped to the tangent shape."""
        out = self.net(self.features(y, t), t / self.process.T, context)
        return out.reshape(y.shape[0], *self.process.space.tangent_shape)

    @property
    def out_dim(self) -> int:
        """Width of the backbone's output this parameterisation reads."""
        return self.process.space.dim

    def from_raw(self, out: Tensor, y: Tensor, t: Tensor) -> Tensor:
        """The score from the backbone's output ``out`` (tangent shape) at ``(y, t)``."""
        raise NotImplementedError

    def score(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        return self.from_raw(self.raw(y, t, context), y, t)

    def forward(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        return self.score(y, t, context)


class ScoreParam(ScoreModel):
    """The network outputs the score directly: ``s_θ = net(y, t)``."""

    def from_raw(self, out: Tensor, y: Tensor, t: Tensor) -> Tensor:
        return out


class ScaledScoreParam(ScoreModel):
    """``s_θ = net(y, t) / σ̂(t)``: the score in units of the forward process's own spread, for a
    diffusion without a known kernel (the analogue of ``EpsParam``'s ``1/s_t``).

    ``σ̂(t)² = E|X_t - X_0|² / d``, measured once by :meth:`calibrate` from training rows with
    the forward simulator on a log-spaced grid of ``t`` in ``[t_min, T]`` and interpolated in
    ``log t``; stored as buffers, so a checkpoint carries it. Before calibration ``σ̂ = 1`` (plain
    :class:`ScoreParam`). Without it the network must output scores of size ``1/σ_t`` whose slope
    in ``y`` grows like ``1/σ_t²`` as ``t → 0``, and at CPU budgets it stops at a shrunken score
    there (``benchmarks/jump_diffusion_oracle.py``)."""

    grid_size = 16

    def __init__(self, net: nn.Module | None, process: Process) -> None:
        super().__init__(net, process)
        log_times = torch.linspace(math.log(process.t_min), math.log(process.T), self.grid_size)
        self.register_buffer("log_times", log_times)
        self.register_buffer("log_scales", torch.zeros(self.grid_size))

    @torch.no_grad()
    def calibrate(self, data: Tensor, rows: int = 2000, seed: int = 0) -> None:
        """Measure ``σ̂`` on the first ``rows`` training rows (a fixed seed: the same each time)."""
        g = torch.Generator().manual_seed(seed)
        x0 = data[:rows].to(self.log_scales.device, torch.get_default_dtype())
        spread = []
        for log_t in self.log_times.tolist():
            t = torch.full((x0.shape[0],), math.exp(log_t), dtype=x0.dtype, device=x0.device)
            xt = self.process.sample_marginal(x0, t, g)
            spread.append(float(((xt - x0) ** 2).mean()))
        var = torch.tensor(spread, dtype=torch.float64)
        if not bool(torch.isfinite(var).all()) or float(var.max()) <= 0:
            return  # nothing measurable: keep σ̂ = 1
        var = var.clamp_min(float(var[var > 0].min()))
        self.log_scales.copy_(0.5 * var.log().float())

    def log_scale(self, t: Tensor) -> Tensor:
        """``log σ̂(t)``, linear in ``log t`` between grid points, constant outside."""
        lt = t.clamp_min(1e-30).log().to(self.log_times.dtype)
        i = torch.searchsorted(self.log_times, lt).clamp(1, self.grid_size - 1)
        t0, t1 = self.log_times[i - 1], self.log_times[i]
        a = ((lt - t0) / (t1 - t0)).clamp(0, 1)
        return (1 - a) * self.log_scales[i - 1] + a * self.log_scales[i]

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        # a checkpoint saved before the scale existed: σ̂ = 1, the plain ScoreParam it was trained as
        if prefix + "log_scales" not in state_dict:
            state_dict[prefix + "log_times"] = self.log_times.clone()
            state_dict[prefix + "log_scales"] = torch.zeros_like(self.log_scales)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def from_raw(self, out: Tensor, y: Tensor, t: Tensor) -> Tensor:
        return out * expand_batch(torch.exp(-self.log_scale(t)).to(out.dtype), out)


class _GaussianParam(ScoreModel):
    def __init__(self, net: nn.Module | None, process: Process) -> None:
        if not isinstance(process, GaussianDiffusion):
            raise TypeError(
                f"{type(self).__name__} needs a Gaussian kernel N(α_t x_0, s_t² I); "
                f"{type(process).__name__} has none (use ScoreParam or PotentialParam)"
            )
        super().__init__(net, process)


class EpsParam(_GaussianParam):
    """The network predicts the noise: ``s_θ = -ε_θ(y, t) / s_t``."""

    def from_raw(self, out: Tensor, y: Tensor, t: Tensor) -> Tensor:
        return eps_to_score(out, expand_batch(self.process.std(t), y))


class X0Param(_GaussianParam):
    """The network predicts the clean data: ``s_θ = (α_t x̂_0(y, t) - y) / s_t²``."""

    def from_raw(self, out: Tensor, y: Tensor, t: Tensor) -> Tensor:
        p = self.process
        return x0_to_score(out, y, expand_batch(p.alpha(t), y), expand_batch(p.std(t), y))


class VelocityParam(ScoreModel):
    """The network predicts the velocity of the straight path (rectified flow / flow matching's
    target), for any kernel that is ``N(α_t u_0 + c_t, s_t² I)`` in some coordinates ``u``
    (:meth:`~dmm.processes.Process.gaussian_coordinates`; ``u = x`` for the Gaussian
    diffusions, the standardised ``log x`` for the orthant ones). With ``τ = s_t/(α_t + s_t)``
    and ``u' = u(y) - c_t``, ``u'/(α_t + s_t) = (1 - τ) u_0 + τ ε`` and ``v = ε - u_0``, so
    ``ε̂ = (u' + α_t v_θ(y, t))/(α_t + s_t)``, and the score is the kernel's score at that
    noise (:meth:`~dmm.processes.CoordinateGaussian.noise_score`; ``-ε̂/s_t`` for
    ``u = x``). Well conditioned at both ends: ``û_0 = u'/(α_t + s_t) - τ v_θ`` near pure
    noise, ``ε̂`` near the data."""

    def __init__(self, net: nn.Module | None, process: Process) -> None:
        t = torch.full((1,), process.T)
        try:
            process.gaussian_coordinates(t).isotropic(type(self).__name__)
        except MissingCapability as err:
            raise MissingCapability(f"{err} (use ScoreParam or PotentialParam)") from None
        super().__init__(net, process)

    def from_raw(self, out: Tensor, y: Tensor, t: Tensor) -> Tensor:
        kernel = self.process.gaussian_coordinates(t)
        a, s = kernel.isotropic(type(self).__name__)
        n = y.shape[0]
        flat = y.reshape(n, -1)
        eps = (kernel.coords.to(flat) - kernel.shift + a * out.reshape(n, -1)) / (a + s)
        return kernel.noise_score(eps, flat).reshape(y.shape)


class PotentialParam(ScoreModel):
    """The network outputs a scalar potential ``U_θ = log φ_θ``; ``s_θ = ∇U_θ`` (conservative by
    construction), the gradient taken in the space's metric. The backbone must have ``dim_out = 1``."""

    @property
    def out_dim(self) -> int:
        return 1

    def potential(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        out = self.net(self.features(y, t), t / self.process.T, context)
        return out.reshape(y.shape[0])

    def score(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        # the space's gradient: autograd in flat coordinates, the Riemannian gradient in tangent
        # coordinates on a manifold (e.g. SO(3)); differentiable whenever autograd is on (training)
        return self.process.space.gradient(
            lambda z: self.potential(z, t, context), y, create_graph=torch.is_grad_enabled()
        )
