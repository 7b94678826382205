"""The rotation group SO(3) with its bi-invariant metric.

Points are rotation matrices ``(batch, 3, 3)``. Tangent vectors at ``R`` are written in the body
(left-invariant) frame: ``v ∈ R³`` stands for ``R v̂``, with the hat map

    v̂ = [[0, -v₃, v₂], [v₃, 0, -v₁], [-v₂, v₁, 0]],

which is an orthonormal basis of so(3) for ``⟨A, B⟩ = ½ tr(AᵀB)``. In this metric the geodesics are
``R exp(s v̂)``, the distance is the rotation angle of ``R₀ᵀR``, and ``R exp(√h ξ̂)``,
``ξ ~ N(0, I₃)``, is a step of Brownian motion for ``½Δ`` (MATH.md §6). Scores, drifts and noise
are such 3-vectors, so Euclidean norms of tangent coordinates are the manifold's norms (what DSM
needs).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import torch
from torch import Tensor

from .base import Space, expand_batch


def hat(v: Tensor) -> Tensor:
    """``(…, 3) -> (…, 3, 3)`` skew-symmetric matrices ``v̂`` with ``v̂ w = v × w``."""
    z = torch.zeros_like(v[..., 0])
    v1, v2, v3 = v[..., 0], v[..., 1], v[..., 2]
    return torch.stack(
        [
            torch.stack([z, -v3, v2], -1),
            torch.stack([v3, z, -v1], -1),
            torch.stack([-v2, v1, z], -1),
        ],
        -2,
    )


def vee(a: Tensor) -> Tensor:
    """Inverse of :func:`hat` on the skew part: ``vee(A) = (A₃₂ - A₂₃, A₁₃ - A₃₁, A₂₁ - A₁₂)/2``."""
    return 0.5 * torch.stack(
        [a[..., 2, 1] - a[..., 1, 2], a[..., 0, 2] - a[..., 2, 0], a[..., 1, 0] - a[..., 0, 1]], -1
    )


def exp_map(v: Tensor) -> Tensor:
    """``exp(v̂)`` by Rodrigues' formula ``I + sinc(θ) v̂ + ½ sinc²(θ/2) v̂²``, stable at 0."""
    theta = v.norm(dim=-1)[..., None, None]
    k = hat(v)
    eye = torch.eye(3, dtype=v.dtype, device=v.device).expand_as(k)
    a = torch.sinc(theta / math.pi)
    b = 0.5 * torch.sinc(theta / (2 * math.pi)) ** 2
    return eye + a * k + b * (k @ k)


def rotation_angle(r: Tensor) -> Tensor:
    """Angle ``ω ∈ [0, π]`` of rotation matrices: ``atan2(|vee(R - Rᵀ)|, (tr R - 1)/2)``."""
    s = (2 * vee(r)).norm(dim=-1) / 2
    c = (r.diagonal(dim1=-2, dim2=-1).sum(-1) - 1) / 2
    return torch.atan2(s, c)


def log_map(r: Tensor) -> Tensor:
    """``v`` with ``exp(v̂) = R`` and ``|v| = ω ≤ π`` (float64 inside; axis from the symmetric part
    of ``R`` near ``ω = π``, where ``R - Rᵀ`` vanishes)."""
    dtype = r.dtype
    r = r.to(torch.float64)
    omega = rotation_angle(r)
    skew = vee(r)  # = sin(ω) u
    v = skew / torch.sinc(omega / math.pi)[..., None]  # ω u, fine while sin ω is not small
    near_pi = omega > math.pi - 1e-2
    if near_pi.any():
        rs = r[near_pi]
        w = omega[near_pi]
        sym = 0.5 * (rs + rs.transpose(-1, -2))
        eye = torch.eye(3, dtype=r.dtype, device=r.device)
        uu = (sym - torch.cos(w)[:, None, None] * eye) / (1 - torch.cos(w))[:, None, None]
        col = uu.diagonal(dim1=-2, dim2=-1).argmax(-1)
        u = uu[torch.arange(len(col)), :, col]
        u = u / u.norm(dim=-1, keepdim=True)
        sign = torch.where((u * skew[near_pi]).sum(-1) < 0, -1.0, 1.0).to(r.dtype)
        v[near_pi] = sign[:, None] * u * w[:, None]
    return v.to(dtype)


def project(r: Tensor) -> Tensor:
    """One Newton–Schulz step ``R (3I - RᵀR)/2`` towards the nearest rotation (second order in the
    deviation from orthogonality; keeps long walks on SO(3) to float precision)."""
    eye = torch.eye(3, dtype=r.dtype, device=r.device)
    return 0.5 * r @ (3 * eye - r.transpose(-1, -2) @ r)


class SO3(Space):
    """SO(3) with normalised Haar reference measure and the bi-invariant metric ``½ tr(AᵀB)``.

    ``event_shape = (3, 3)``, ``tangent_shape = (3,)`` (body-frame coordinates in the orthonormal
    hat basis); :meth:`features` is the flattened matrix (9 numbers); :meth:`step` is the geodesic
    step ``y exp((a h + σ √h ξ)^)``. ``atol`` is the tolerance of the support check on
    ``|RᵀR - I|_max`` and ``|det R - 1|``.
    """

    event_shape = (3, 3)
    tangent_shape = (3,)
    name = "SO(3)"
    support_text = "rotation matrices: RᵀR = I and det R = 1"
    shape_note = (
        "rotation matrices, or their 9 entries row-major in a .csv row; quaternions: "
        "scipy.spatial.transform.Rotation.from_quat(q).as_matrix()"
    )

    def __init__(self, atol: float = 1e-4) -> None:
        if isinstance(atol, bool) or not isinstance(atol, numbers.Real) or not 0 < atol < math.inf:
            raise ValueError(f"SO3 needs a finite atol > 0 (support check), got {atol!r}")
        self.atol = float(atol)

    def outside(self, x: Tensor) -> Tensor:
        eye = torch.eye(3, dtype=x.dtype, device=x.device)
        orth = (x.transpose(-1, -2) @ x - eye).abs().amax(dim=(-1, -2))
        det = torch.linalg.det(x.to(torch.float64)).to(x.dtype)
        return (orth > self.atol) | ((det - 1).abs() > self.atol)

    def outside_hint(self, rows: Tensor) -> str:
        return "project near-rotations M onto SO(3) first (U Vᵀ from the SVD M = U S Vᵀ)"

    def exp(self, y: Tensor, v: Tensor) -> Tensor:
        """Geodesic from ``y`` with body-frame velocity ``v`` for unit time: ``y exp(v̂)``."""
        return project(y @ exp_map(v))

    def log(self, y: Tensor, x: Tensor) -> Tensor:
        """Body-frame ``v`` at ``y`` with ``exp_y(v) = x``, ``|v| = d(y, x)``."""
        return log_map(y.transpose(-1, -2) @ x)

    def distance(self, y: Tensor, x: Tensor) -> Tensor:
        """Geodesic distance: the rotation angle of ``yᵀ x``."""
        return rotation_angle(y.transpose(-1, -2) @ x)

    def step(
        self, y: Tensor, drift: Tensor, sigma: Tensor | float, h: Tensor, xi: Tensor
    ) -> Tensor:
        hb = expand_batch(h, drift)
        return self.exp(y, drift * hb + sigma * hb.sqrt() * xi)

    def gradient(
        self, f: Callable[[Tensor], Tensor], x: Tensor, create_graph: bool = False
    ) -> Tensor:
        """Riemannian gradient in body coordinates: ``(∇f)_i = d/dε f(x exp(ε ê_i))`` at 0. With
        ``create_graph`` the result stays differentiable (in ``f``'s parameters and in ``x``)."""
        with torch.enable_grad():
            v = torch.zeros(x.shape[0], 3, dtype=x.dtype, device=x.device, requires_grad=True)
            base = x if create_graph else x.detach()
            (g,) = torch.autograd.grad(
                f(base @ (_eye_like(x) + hat(v))).sum(), v, create_graph=create_graph
            )
        return g

    def second_derivatives(self, f: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
        """``d²/dε² f(x exp(ε ê_i))`` at 0; their sum is the Laplace–Beltrami operator ``Δf``
        (left-invariant orthonormal fields on a group with bi-invariant metric are geodesic)."""
        with torch.enable_grad():
            v = torch.zeros(x.shape[0], 3, dtype=x.dtype, device=x.device, requires_grad=True)
            k = hat(v)
            fx = f(x.detach() @ (_eye_like(x) + k + 0.5 * k @ k))  # exp to second order
            (g,) = torch.autograd.grad(fx.sum(), v, create_graph=True)
            out = []
            for i in range(3):
                if not g.requires_grad:
                    out.append(torch.zeros_like(g[:, i]))
                    continue
                (hi,) = torch.autograd.grad(
                    g[:, i].sum(), v, retain_graph=True, allow_unused=True, materialize_grads=True
                )
                out.append(hi[:, i])
        return torch.stack(out, 1).detach()

    def __repr__(self) -> str:
        return "SO3()"


def _eye_like(x: Tensor) -> Tensor:
    return torch.eye(3, dtype=x.dtype, device=x.device).expand(x.shape[0], 3, 3)


__all__ = ["SO3", "exp_map", "hat", "log_map", "project", "rotation_angle", "vee"]
