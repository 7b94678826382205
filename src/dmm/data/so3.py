"""Built-in data on SO(3) and on the 2-torus.

* ``so3-mixture-16`` / ``so3-mixture-64``: mixtures of ``K`` wrapped normals on SO(3), equal
  weights, means Haar-distributed from a fixed seed, ``x = μ_k exp((σ ξ)^)`` with ``σ = 0.1`` rad per axis.
* Symmetric solids: a solid with rotation group ``G`` (tetrahedral 12, octahedral 24, cyclic
  ``C_4``) seen in orientation ``R ~ Haar``; the pose to predict is ``R g``, ``g ~ U(G)``, and the context
  (the "observed view") is a ``G``-invariant description of ``R``: the degree 1, 3 and 4 moment
  tensors of the solid's rotated vertices ``{R v}`` (the vertex set is ``G``-invariant, so the
  moments are; their stabiliser is exactly ``G``, so the context fixes the coset ``R G``).
* ``torus-vonmises``: a mixture of 4 products of von Mises laws on ``[-π, π)²``.
"""

from __future__ import annotations

import itertools
import math

import torch
from torch import Tensor

from ..processes.manifold_brownian import Haar
from ..spaces.so3 import exp_map, log_map
from ..spaces.torus import wrap

MIXTURE_STD = 0.1


def mixture_means(K: int, seed: int = 1234) -> Tensor:
    """The ``K`` fixed component means of the SO(3) mixture (Haar draws from ``seed``)."""
    return Haar().sample(K, torch.Generator().manual_seed(seed))


def so3_mixture(
    n: int, generator: torch.Generator, K: int = 16, std: float = MIXTURE_STD
) -> Tensor:
    """``n`` draws of the mixture of ``K`` wrapped normals ``μ_k exp((σ ξ)^)`` (equal weights)."""
    means = mixture_means(K)
    k = torch.randint(0, K, (n,), generator=generator)
    xi = torch.randn(n, 3, generator=generator)
    return means[k] @ exp_map(std * xi)


def so3_mixture_log_prob(x: Tensor, K: int = 16, std: float = MIXTURE_STD) -> Tensor:
    """Exact log-density of :func:`so3_mixture` w.r.t. normalised Haar measure (float64):
    ``log K⁻¹ Σ_k N(v_k; 0, σ²I) · 8π² / sinc²(ω_k/2π)``, ``v_k = log(μ_kᵀ x)``, ``ω_k = |v_k|``
    (normalised Haar in exponential coordinates is ``(1 - cos ω)/(4π²ω²) d³v``). Exact up to the
    Gaussian mass beyond ``|v| = π``, which the wrap folds back (``P(χ₃ > π/σ)``: 1e-200 at σ = 0.1)."""
    means = mixture_means(K).to(torch.float64)
    rel = means.transpose(-1, -2)[None] @ x.to(torch.float64)[:, None]  # (n, K, 3, 3)
    v = log_map(rel.reshape(-1, 3, 3)).reshape(x.shape[0], K, 3)
    omega = v.norm(dim=-1)
    log_gauss = -0.5 * (v**2).sum(-1) / std**2 - 1.5 * math.log(2 * math.pi * std**2)
    log_jac = math.log(8 * math.pi**2) - 2 * torch.log(torch.sinc(omega / (2 * math.pi)))
    return torch.logsumexp(log_gauss + log_jac, 1) - math.log(K)


# --- symmetric solids -----------------------------------------------------------------------------


def _rotations_preserving(vertices: Tensor) -> Tensor:
    """The rotations mapping the vertex set onto itself: each is fixed by the images of two
    independent vertices, so try all ordered vertex pairs and keep the maps that preserve the
    set."""
    found: list[Tensor] = []
    v = vertices.double()
    a, b = v[0], next(w for w in v[1:] if torch.linalg.cross(v[0], w).norm() > 1e-6)
    frame = _frame(a, b)
    for p, q in itertools.permutations(range(len(v)), 2):
        if abs(v[p].norm() - a.norm()) > 1e-9 or abs(v[q].norm() - b.norm()) > 1e-9:
            continue
        if abs(v[p] @ v[q] - a @ b) > 1e-9:
            continue
        r = _frame(v[p], v[q]) @ frame.T
        image = v @ r.T
        if torch.cdist(image, v).min(1).values.max() < 1e-9 and not any(
            (r - g).abs().max() < 1e-9 for g in found
        ):
            found.append(r)
    return torch.stack(found).float()


def _frame(a: Tensor, b: Tensor) -> Tensor:
    e1 = a / a.norm()
    e2 = b - (b @ e1) * e1
    e2 = e2 / e2.norm()
    return torch.stack([e1, e2, torch.linalg.cross(e1, e2)], 1)


def solid_vertices(name: str) -> Tensor:
    """Vertices of the solids: ``tetrahedral``, ``octahedral`` (a cube's face centres) and
    ``cyclic`` (a square pyramid, rotation group ``C_4``)."""
    if name == "tetrahedral":
        return torch.tensor([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], dtype=torch.float32)
    if name == "octahedral":
        return torch.cat([torch.eye(3), -torch.eye(3)])
    if name == "cyclic":
        return torch.tensor(
            [
                [1.0, 0.0, -0.5],
                [0.0, 1.0, -0.5],
                [-1.0, 0.0, -0.5],
                [0.0, -1.0, -0.5],
                [0.0, 0.0, 1.0],
            ]
        )
    raise ValueError(f"unknown solid '{name}' (known: tetrahedral, octahedral, cyclic)")


def symmetry_group(name: str) -> Tensor:
    """The rotation group ``G`` of the solid, ``(|G|, 3, 3)``: 12, 24 and 4 elements."""
    return _rotations_preserving(solid_vertices(name))


def _sym_moments(p: Tensor, degree: int) -> Tensor:
    # unique entries of Σ_k p_k^{⊗degree}, i.e. the monomial sums Σ_k Π p_k[i] over multisets
    idx = list(itertools.combinations_with_replacement(range(3), degree))
    return torch.stack([p[..., list(c)].prod(-1).sum(-1) for c in idx], -1)


def view_context(r: Tensor, name: str) -> Tensor:
    """``G``-invariant context of orientations ``r`` (batch, 3, 3): moments of degree 1, 3, 4 of the
    rotated vertex set, scaled to order one (28 numbers)."""
    v = solid_vertices(name).to(r.dtype)
    v = v / v.norm(dim=1, keepdim=True)
    p = torch.einsum("nij,kj->nki", r, v)
    return (
        torch.cat([_sym_moments(p, 1), _sym_moments(p, 3), _sym_moments(p, 4)], -1) / len(v) ** 0.5
    )


def symmetric_solid(
    n: int, generator: torch.Generator, name: str = "octahedral"
) -> tuple[Tensor, Tensor]:
    """``(poses, context)``: poses ``R g`` with ``R ~ Haar``, ``g ~ U(G)``; context = view of
    ``R``."""
    group = symmetry_group(name)
    r = Haar().sample(n, generator)
    g = group[torch.randint(0, len(group), (n,), generator=generator)]
    return r @ g, view_context(r, name)


# --- the torus -----------------------------------------------------------------------------------

VONMISES_MEANS = torch.tensor([[-2.0, -1.5], [-0.5, 2.5], [1.5, 0.5], [2.8, -2.5]])
VONMISES_KAPPA = torch.tensor([[8.0, 4.0], [6.0, 10.0], [4.0, 4.0], [12.0, 6.0]])


def torus_vonmises(n: int, generator: torch.Generator) -> Tensor:
    """Mixture of 4 products of von Mises laws on ``[-π, π)²`` (exact sampling by rejection from a
    wrapped Cauchy-free envelope: a uniform proposal accepted with ``e^{κ(cos(x-μ) - 1)}``)."""
    k = torch.randint(0, 4, (n,), generator=generator)
    mu, kappa = VONMISES_MEANS[k], VONMISES_KAPPA[k]
    out = torch.empty(n, 2)
    todo = torch.ones(n, 2, dtype=torch.bool)
    while todo.any():
        prop = (torch.rand(n, 2, generator=generator) * 2 - 1) * math.pi
        accept = torch.rand(n, 2, generator=generator) < torch.exp(
            kappa * (torch.cos(prop - mu) - 1)
        )
        take = todo & accept
        out[take] = prop[take]
        todo &= ~take
    return wrap(out)


__all__ = [
    "mixture_means",
    "so3_mixture",
    "so3_mixture_log_prob",
    "solid_vertices",
    "symmetric_solid",
    "symmetry_group",
    "torus_vonmises",
    "view_context",
]


def _register() -> None:
    from ..spaces import Torus
    from ..spaces.so3 import SO3
    from .registry import DatasetInfo, register_dataset

    for k in (16, 64):
        register_dataset(
            f"so3-mixture-{k}",
            lambda n, g, k=k: so3_mixture(n, g, k),
            DatasetInfo(SO3(), f"mixture of {k} wrapped normals on SO(3), std {MIXTURE_STD:g}"),
        )
    register_dataset(
        "torus-vonmises",
        torus_vonmises,
        DatasetInfo(Torus(2), "mixture of 4 products of von Mises laws on the torus"),
    )


_register()
