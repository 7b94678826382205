"""The flat torus ``T^d = [-π, π)^d`` with normalised Lebesgue (Haar) measure.

Coordinates are angles in ``[-π, π)``; a network reads ``(cos x, sin x)`` so that it is periodic by
construction. The tangent space at every point is ``R^d`` with the Euclidean metric, the
exponential map
is ``exp_x(v) = wrap(x + v)`` and the logarithm is ``log_x(y) = wrap(y - x)`` (the shortest signed
displacement, unique except on the cut locus where a coordinate differs by exactly ``π``).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from .base import Space, expand_batch, whole_number

TWO_PI = 2.0 * math.pi


def wrap(x: Tensor) -> Tensor:
    """Map real angles to ``[-π, π)`` (``wrap(x) = x - 2π floor((x + π) / 2π)``)."""
    y = torch.remainder(x + math.pi, TWO_PI) - math.pi
    # remainder can round up to exactly 2π - π = π for tiny negative inputs; fold that back
    return torch.where(y >= math.pi, y - TWO_PI, y)


class Torus(Space):
    """``[-π, π)^d`` with uniform reference measure ``μ = Lebesgue / (2π)^d``.

    Densities w.r.t. ``μ`` therefore integrate to one against ``dx / (2π)^d``; the uniform law has
    density ``1``. Support check: finite values in ``[-π, π)`` (use :func:`wrap` explicitly to
    map other
    angles in, or build the space with ``wrap_data=True``; it never wraps user data silently).
    """

    support_text = "angles in [-π, π)"

    def __init__(self, d: int, wrap_data: bool = False) -> None:
        self.d = whole_number(d, "Torus's dimension d")
        #: explicit opt-in: :meth:`validate` returns ``wrap(x)`` instead of rejecting angles outside
        self.wrap_data = bool(wrap_data)
        self.event_shape = (self.d,)
        self.tangent_shape = (self.d,)
        self.name = f"T^{self.d}"

    def __repr__(self) -> str:
        return f"Torus({self.d})"

    # -- support and features -------------------------------------------------------------------
    def validate(self, x: Tensor) -> Tensor:
        """Check shape, finiteness and support; with ``wrap_data=True`` return ``wrap(x)``
        instead of
        raising for angles outside ``[-π, π)`` (callers must use the returned tensor)."""
        if self.wrap_data and x.is_floating_point() and tuple(x.shape[1:]) == self.event_shape:
            x = wrap(x) if torch.isfinite(x).all() else x
        return super().validate(x)

    def outside(self, x: Tensor) -> Tensor:
        x = x.reshape(x.shape[0], -1)
        return ((x < -math.pi) | (x >= math.pi)).any(dim=1)

    def outside_hint(self, rows: Tensor) -> str:
        return "wrap them into [-π, π) first (dmm.spaces.torus.wrap; angles in radians)"

    @property
    def feature_dim(self) -> int:
        return 2 * self.d

    def features(self, x: Tensor) -> Tensor:
        """``(cos x_1..cos x_d, sin x_1..sin x_d)``: periodic features of width ``2d``."""
        x = x.reshape(x.shape[0], -1)
        return torch.cat([torch.cos(x), torch.sin(x)], dim=1)

    embedding = "(cos, sin) of every angle"

    def embed(self, x: Tensor) -> Tensor:
        """``(cos x, sin x)``: the torus in ``R^{2d}``, where angles on either side of ``±π`` are
        near (in the angles themselves they are ``2π`` apart)."""
        return self.features(x)

    def feature_mask(self, cells: Tensor) -> Tensor:
        """An angle feeds its cosine and its sine."""
        cells = cells.reshape(cells.shape[0], -1)
        return torch.cat([cells, cells], dim=1)

    # -- geometry ---------------------------------------------------------------------------------
    def wrap(self, x: Tensor) -> Tensor:
        """Project real coordinates onto ``[-π, π)^d``."""
        return wrap(x)

    def exp(self, x: Tensor, v: Tensor) -> Tensor:
        """Exponential map ``exp_x(v) = wrap(x + v)``."""
        return wrap(x + v)

    def log(self, x: Tensor, y: Tensor) -> Tensor:
        """Logarithm ``log_x(y) = wrap(y - x)``: the shortest displacement from ``x`` to ``y``."""
        return wrap(y - x)

    def project_tangent(self, x: Tensor, v: Tensor) -> Tensor:
        """Tangent projection (the identity on the flat torus)."""
        return v

    def inner(self, x: Tensor, u: Tensor, v: Tensor) -> Tensor:
        """Riemannian metric ``<u, v>_x`` (Euclidean), shape ``(batch,)``."""
        return (u * v).reshape(u.shape[0], -1).sum(dim=1)

    def distance(self, x: Tensor, y: Tensor) -> Tensor:
        """Geodesic distance ``|log_x(y)|``, shape ``(batch,)``."""
        return self.log(x, y).reshape(x.shape[0], -1).norm(dim=1)

    def step(
        self, y: Tensor, drift: Tensor, sigma: Tensor | float, h: Tensor, xi: Tensor
    ) -> Tensor:
        """Wrapped Euler–Maruyama step ``exp_y(drift h + σ √h ξ)``."""
        hb = expand_batch(h, drift)
        return wrap(y + drift * hb + sigma * hb.sqrt() * xi)

    def uniform(self, n: int, generator: torch.Generator | None = None, **kw: object) -> Tensor:
        """``n`` samples of the uniform (reference) law."""
        u = torch.rand((n, self.d), generator=generator, **kw)  # type: ignore[arg-type]
        return wrap(TWO_PI * u - math.pi)


# --- the wrapped normal law ------------------------------------------------------------------------


def wrapped_normal_terms(var: Tensor | float) -> int:
    """Images ``K`` per side so that the dropped terms of the wrapped normal are below ``e^{-36}``
    relative: ``|δ + 2πk| ≥ (2K+1)π`` for ``|k| > K``, ``|δ| ≤ π``, and
    ``π²((2K+1)² - 1)/(2 var) ≥ 36``."""
    v = float(torch.as_tensor(var).detach().max())
    return max(1, math.ceil((math.sqrt(1 + 72 * v / math.pi**2) - 1) / 2))


def _image_logits(delta: Tensor, var: Tensor) -> tuple[Tensor, Tensor]:
    terms = wrapped_normal_terms(var)
    k = torch.arange(-terms, terms + 1, dtype=delta.dtype, device=delta.device)
    shifted = delta[..., None] + 2 * math.pi * k  # (..., 2K+1)
    return -(shifted**2) / (2 * var[..., None]), shifted


#: exponents of the image sums are floored here (no subnormal intermediates)
_EXP_FLOOR = -80.0
#: above this variance the wrapped normal's density is summed as its Fourier series
FOURIER_VARIANCE = math.pi
#: harmonics ``M`` of the series so that ``e^{-M² v/2} ≤ e^{-40}`` at ``v ≥ FOURIER_VARIANCE``
_HARMONICS = math.ceil(math.sqrt(80 / FOURIER_VARIANCE))


def wrapped_normal_log_prob(delta: Tensor, var: Tensor) -> Tensor:
    """Per-coordinate log-density of the wrapped normal ``WN(0, var)`` at ``delta ∈ [-π, π]`` (a
    wrapped displacement) w.r.t. the normalised measure ``dx/2π``, in whichever of its two series
    is short:

    * ``var ≤ π``: the images, ``log 2π - ½ log(2π var) - δ²/2var + log(1 + Σ_{1≤k≤K}
      [e^{-2πk(πk + δ)/var} + e^{-2πk(πk - δ)/var}])`` (``K ≤ 2``; the image ``k = 0`` is the
      nearest for ``|δ| ≤ π``, so every other term is at most 1 and no term overflows);
    * ``var > π``: the Fourier series ``log(1 + 2 Σ_{m≥1} e^{-m² var/2} cos(m δ))`` (six terms,
      the sum within ``[0.58, 1.42]``, by Clenshaw's recurrence on ``cos δ``), where the images
      would need ``≈ 1.4 √var`` terms.

    Both are exact to ``e^{-36}`` relative. ``var`` broadcasts against ``delta`` and may be
    smaller (one variance per row, ``(n, 1)``): what depends on the variance alone, the series'
    coefficients and which series to sum, is computed at ``var``'s shape. With both kinds of
    variance present, each series is summed everywhere with the other kind's variances replaced
    by ``π`` (where both are finite) and ``torch.where`` picks: no masked gathers, and no NaN
    from the unpicked series reaches the gradient."""
    small = var <= FOURIER_VARIANCE
    if bool(small.all()):
        return _images_log_prob(delta, var)
    images = _images_log_prob(delta, torch.where(small, var, FOURIER_VARIANCE))
    big = torch.where(small, FOURIER_VARIANCE, var)
    two_cos = 2 * torch.cos(delta)
    after, b = 0.0, 0.0  # Clenshaw: b_m = a_m + 2 cos δ b_{m+1} - b_{m+2}, a_m = e^{-m² var/2}
    for m in range(_HARMONICS, 0, -1):
        after, b = b, torch.exp(-0.5 * m**2 * big) + two_cos * b - after
    series = 0.5 * two_cos * b - after  # Σ_m a_m cos(m δ) = b_1 cos δ - b_2
    return torch.where(small, images, torch.log1p(2 * series))


def _images_log_prob(delta: Tensor, var: Tensor) -> Tensor:
    if delta.numel() == 0:
        return delta + var
    far = 0.0
    for k in range(1, wrapped_normal_terms(var) + 1):
        rate = (-2 * math.pi * k) / var
        # the images at 2πk and at -2πk, exponents floored at -80 (terms below e^{-80} are far
        # under the series' e^{-36}): narrow kernels give exponents of -10^3 and less, whose
        # subnormal results make exp several times slower on a CPU
        far = far + torch.exp((rate * (math.pi * k + delta)).clamp(min=_EXP_FLOOR))
        far = far + torch.exp((rate * (math.pi * k - delta)).clamp(min=_EXP_FLOOR))
    near = math.log(2 * math.pi) - 0.5 * torch.log(2 * math.pi * var) - delta**2 / (2 * var)
    return near + torch.log1p(far)


def wrapped_normal_score(delta: Tensor, var: Tensor) -> Tensor:
    """``d/dδ log WN(δ; var)`` at ``delta ∈ [-π, π]``, from the same two series as
    :func:`wrapped_normal_log_prob` (so any variance costs at most six terms):

    * ``var ≤ π``: the images, ``-Σ_k w_k (δ + 2πk)/var`` with ``w = softmax_k(-(δ+2πk)²/2var)``
      over ``|k| ≤ K ≤ 2``;
    * ``var > π``: the Fourier series, ``-2 Σ_{m≥1} m e^{-m² var/2} sin(mδ) / (1 + 2 Σ_{m≥1}
      e^{-m² var/2} cos(mδ))`` with ``m ≤ 6`` (the denominator within ``[0.58, 1.42]``; the first
      dropped term is below ``e^{-70}`` relative to the first kept one), the harmonics by the
      recurrences ``cos((m+1)δ) = 2 cos δ cos(mδ) - cos((m-1)δ)`` and the same for ``sin``.

    ``var`` broadcasts against ``delta`` as in :func:`wrapped_normal_log_prob`, and variances of
    both kinds are mixed the same way (each series summed everywhere, the other kind's variances
    replaced by ``π``, ``torch.where`` picks)."""
    small = var <= FOURIER_VARIANCE
    if bool(small.all()):
        return _images_score(delta, var)
    images = _images_score(delta, torch.where(small, var, FOURIER_VARIANCE))
    big = torch.where(small, FOURIER_VARIANCE, var)
    cos1, sin1 = torch.cos(delta), torch.sin(delta)
    two_cos = 2 * cos1
    cos_prev, cos_m = torch.ones_like(cos1), cos1
    sin_prev, sin_m = torch.zeros_like(sin1), sin1
    slope, level = 0.0, 0.0  # Σ m a_m sin(mδ) and Σ a_m cos(mδ), a_m = e^{-m² var/2}
    for m in range(1, _HARMONICS + 1):
        a = torch.exp(-0.5 * m**2 * big)
        slope = slope + m * a * sin_m
        level = level + a * cos_m
        cos_prev, cos_m = cos_m, two_cos * cos_m - cos_prev
        sin_prev, sin_m = sin_m, two_cos * sin_m - sin_prev
    return torch.where(small, images, -2 * slope / (1 + 2 * level))


def _images_score(delta: Tensor, var: Tensor) -> Tensor:
    logits, shifted = _image_logits(delta, var)
    return -(torch.softmax(logits, -1) * shifted).sum(-1) / var
