"""The positive orthant ``(0, ∞)^d`` with Lebesgue reference measure.

A diffusion ``dy = b(y) dt + σ(y) dW`` (diagonal ``σ``) on the orthant is stepped in log coordinates
``z = log y``. Itô's formula gives, for every diffusion,

    dz_i = ( b_i / y_i - ½ σ_i² / y_i² ) dt + ( σ_i / y_i ) dW_i ,

so one Euler–Maruyama step of this SDE in ``z`` followed by ``y = e^z`` never leaves the orthant.
For ``b = μ y``, ``σ = s y`` (GBM) the step in ``z`` is exact.

The ``z`` coefficients are singular at the axes unless ``b`` and ``σ`` vanish there like ``y``: for
CIR, ``dy = (1 - y) dt + √y dW``, the ``z`` drift is ``1/2y - 1`` and the ``z`` noise ``1/√y``, so
near ``y = 0`` one explicit ``z`` step multiplies ``y`` by ``e^{h/2y}`` (``e^{50}`` at
``y = 10⁻⁴``, ``h = 10⁻²``): that is how a free CIR simulation reached ``10¹⁵``. So the log step is
taken, with ``PositiveOrthant(resolved=c)`` (e.g. ``c = 1/4``), only where the step resolves its
``z`` coefficients, ``(b/y - ½σ²/y²) h <= c`` and ``(σ/y)² h <= c``; elsewhere the step is the
symmetrised Euler step in ``x``, ``y' = |y + b h + σ √h ξ|`` (Bossy–Diop), which is consistent with
the same SDE and moves ``y`` by at most ``|b h + σ √h ξ|``. The rule reads only ``(y, b, σ, h)``, not
the noise, so the scheme stays a consistent Markov step. The default, ``resolved = inf``, always
steps in ``z``: the GBM / geometric-OU backward samplers need it (with the fallback, the demo's GBM
panel went from 4.4× to 3·10⁴× its energy floor: near ``t_min`` their steep scores leave the ``z``
step unresolved, where the ``x`` step is worse). ``log_step=False`` gives the plain step
``y + b h + σ √h ξ`` in ``x`` coordinates, kept for comparison: it can cross zero.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from .base import Space, expand_batch


def log_bound(dtype: torch.dtype) -> float:
    """``B`` such that on ``[e^{-B}, e^B]`` the diffusion ``D ∝ y²`` times a factor up to 1e6
    and the squared DSM residual ``∝ 1/y²`` are finite floats: 36.7 in float32 (``y`` within
    ``[1.2e-16, 8.6e15]``), 347 in float64. This is the orthant as floating point represents it.
    """
    info = torch.finfo(dtype)
    return 0.5 * min(-math.log(info.tiny), math.log(info.max)) - 7.0


def exp_positive(z: Tensor) -> Tensor:
    """``e^z``, ``z`` clamped to ``±(B - ½)`` (:func:`log_bound`): a positive finite float."""
    bound = log_bound(z.dtype) - 0.5  # strictly inside the range validate() accepts
    return torch.exp(z.clamp(-bound, bound))


def clamp_positive(y: Tensor) -> Tensor:
    """``y`` clamped to ``[e^{-B + ½}, e^{B - ½}]`` (:func:`log_bound`): a positive finite float."""
    bound = log_bound(y.dtype) - 0.5
    return y.clamp(math.exp(-bound), math.exp(bound))


class PositiveOrthant(Space):
    """``(0, ∞)^d``: every coordinate strictly positive.

    ``features(x) = (log x - log_loc) / log_scale``: networks read standardised log coordinates, in
    which the score's ``-1/x`` singularity at the axes is gone. ``log_loc`` and ``log_scale``
    (scalars or ``(d,)``) are usually the data's log-mean and log-standard deviation.
    ``resolved`` is the bound ``c`` on ``(b/y - ½σ²/y²) h`` and ``(σ/y)² h`` below which
    :meth:`step` moves in log coordinates (module docstring); ``math.inf`` (the default) always
    does, which suits multiplicative noise and lets a singular diffusion such as CIR blow up (use
    ``resolved=0.25`` for it).
    """

    def __init__(
        self,
        dim: int,
        log_loc: Tensor | float = 0.0,
        log_scale: Tensor | float = 1.0,
        log_step: bool = True,
        resolved: float = math.inf,
    ) -> None:
        if int(dim) <= 0:
            raise ValueError(f"PositiveOrthant needs a positive dimension, got {dim}")
        self.event_shape = (int(dim),)
        self.tangent_shape = self.event_shape
        self.log_loc = torch.as_tensor(log_loc, dtype=torch.get_default_dtype())
        self.log_scale = torch.as_tensor(log_scale, dtype=torch.get_default_dtype())
        if (self.log_scale <= 0).any():
            raise ValueError("log_scale must be positive")
        self.log_step = bool(log_step)
        if not resolved > 0:
            raise ValueError(f"resolved must be positive, got {resolved}")
        self.resolved = float(resolved)
        self.name = f"(0,inf)^{int(dim)}"
        b = log_bound(torch.float32)
        self.support_text = (
            f"every coordinate > 0, in float32 within [{math.exp(-b):.1e}, {math.exp(b):.1e}]"
        )

    def outside(self, x: Tensor) -> Tensor:
        """Rows with a coordinate ``<= 0`` (or, for float data, outside ``[e^{-B}, e^B]``, the range
        in which ``D ∝ y²`` and the DSM residual stay finite, see :func:`log_bound`)."""
        flat = x.reshape(x.shape[0], -1)
        bad = flat <= 0
        if flat.is_floating_point():
            bound = log_bound(torch.float32 if flat.dtype == torch.float16 else flat.dtype)
            bad = bad | (flat < math.exp(-bound)) | (flat > math.exp(bound))
        return bad.any(dim=1)

    def outside_hint(self, rows: Tensor) -> str:
        if (rows <= 0).any():
            return "shift the data so that every coordinate is > 0 (e.g. x - min + c, c > 0)"
        return "rescale the data into that range"

    def features(self, x: Tensor) -> Tensor:
        loc, scale = self.log_loc.to(x), self.log_scale.to(x)
        return ((torch.log(x) - loc) / scale).reshape(x.shape[0], -1)

    def step(
        self, y: Tensor, drift: Tensor, sigma: Tensor | float, h: Tensor, xi: Tensor
    ) -> Tensor:
        """One step of ``dy = drift dt + σ dW`` (``σ`` in ``x`` coordinates, diagonal).

        Log coordinates (default), where resolved (module docstring):
        ``z' = log y + (drift/y - ½ (σ/y)²) h + (σ/y) √h ξ``, ``y' = e^{z'}``; elsewhere the
        symmetrised Euler step ``y' = |y + drift h + σ √h ξ|``. Both stay in the float orthant.
        Plain (``log_step=False``): ``y' = y + drift h + σ √h ξ`` (may leave the orthant).
        """
        if not self.log_step:
            return super().step(y, drift, sigma, h, xi)
        hb = expand_batch(h, drift)
        rel_sigma = sigma / y
        log_drift = drift / y - 0.5 * rel_sigma**2
        z = torch.log(y) + log_drift * hb + rel_sigma * hb.sqrt() * xi
        logged = exp_positive(z)  # clamps |z| to the float-safe range; inert on any sensible state
        coarse = (log_drift * hb > self.resolved) | (rel_sigma**2 * hb > self.resolved)
        plain = clamp_positive((y + drift * hb + sigma * hb.sqrt() * xi).abs())
        return torch.where(coarse, plain, logged)

    def with_log_step(self, log_step: bool) -> PositiveOrthant:
        """The same space (same feature standardisation) with the other stepping rule."""
        return PositiveOrthant(self.dim, self.log_loc, self.log_scale, log_step, self.resolved)

    def __repr__(self) -> str:
        return f"PositiveOrthant(dim={self.dim}, log_step={self.log_step})"
