"""Heavy-tailed data sets on ``R^d`` and the 2-D toy sets mapped onto the torus ``[-π, π)^2``.

* ``student-t-{1.5,2,3}-{2,8}d`` — multivariate Student-t ``ξ / sqrt(χ²_ν/ν)``, ``ξ ~ N(0, I)``:
  ``P(|x| > r) ~ C r^{-ν}`` (tail index ``ν``; infinite variance for ``ν ≤ 2``);
* ``stable-1.5-{2,8}d`` — isotropic symmetric ``α``-stable with ``E e^{i u·x} = e^{-|u|^α}``,
drawn as
  ``sqrt(2A) ξ`` with ``A`` positive ``α/2``-stable (Kanter's representation); tail index ``α``;
* ``torus-<name>`` — a 2-D built-in scaled onto the torus and wrapped: checkerboard ``x π/2``
(its 4x4
  board on ``[-2, 2)²`` becomes a periodic board on ``[-π, π)²``), the others ``wrap(x π/3)``.
"""

from __future__ import annotations

import math
from functools import partial

import torch

from ..processes.jump_laws import StudentTJumps
from ..spaces import Euclidean, Torus
from ..spaces.torus import wrap
from . import toy2d
from .registry import DatasetInfo, register_dataset

_DTYPE = torch.float32


def student_t(n: int, generator: torch.Generator, nu: float, dim: int) -> torch.Tensor:
    """``n`` draws of the standard multivariate Student-t with ``nu`` degrees of freedom."""
    like = torch.empty(0, dtype=torch.float64)
    return StudentTJumps(dim, nu).sample((n,), generator, like).to(_DTYPE)


def positive_stable(n: int, a: float, generator: torch.Generator) -> torch.Tensor:
    """Kanter: ``A = sin(aU)/sin(U)^{1/a} · (sin((1-a)U)/E)^{(1-a)/a}`` has ``E e^{-sA} =
    e^{-s^a}``."""
    u = math.pi * torch.rand(n, generator=generator, dtype=torch.float64).clamp(1e-12, 1 - 1e-12)
    e = torch.empty(n, dtype=torch.float64).exponential_(1.0, generator=generator)
    return (torch.sin(a * u) / torch.sin(u) ** (1 / a)) * (torch.sin((1 - a) * u) / e) ** (
        (1 - a) / a
    )


def symmetric_stable(n: int, generator: torch.Generator, alpha: float, dim: int) -> torch.Tensor:
    """``n`` draws of the isotropic ``alpha``-stable law with characteristic function
    ``e^{-|u|^α}``."""
    a = positive_stable(n, alpha / 2, generator)
    xi = torch.randn(n, dim, generator=generator, dtype=torch.float64)
    return ((2 * a).sqrt()[:, None] * xi).to(_DTYPE)


def on_torus(n: int, generator: torch.Generator, base, scale: float) -> torch.Tensor:
    """A 2-D built-in scaled by ``scale`` and wrapped onto ``[-π, π)^2``."""
    return wrap(base(n, generator).to(torch.float64) * scale).to(_DTYPE)


for _nu in (1.5, 2, 3):
    for _d in (2, 8):
        register_dataset(
            f"student-t-{_nu:g}-{_d}d",
            partial(student_t, nu=float(_nu), dim=_d),
            DatasetInfo(
                Euclidean(_d),
                f"multivariate Student-t, nu = {_nu:g}: heavy tails"
                + (" (infinite variance)" if _nu <= 2 else ""),
            ),
        )
for _d in (2, 8):
    register_dataset(
        f"stable-1.5-{_d}d",
        partial(symmetric_stable, alpha=1.5, dim=_d),
        DatasetInfo(Euclidean(_d), "isotropic symmetric alpha-stable, alpha = 1.5: heavy tails"),
    )


def torus_checkerboard_support(y: torch.Tensor) -> torch.Tensor:
    """The 8 closed black cells of the periodic 4x4 board on ``[-π, π)^2``, grown by ``10^-6``
    of a cell: the float32 draws of ``wrap(x π/2)`` land within rounding of the cells of ``x``."""
    return toy2d.on_black_cells(y.to(torch.float64) * (2.0 / math.pi), periodic=True, tol=1e-6)


register_dataset(
    "torus-checkerboard",
    partial(on_torus, base=toy2d.checkerboard, scale=math.pi / 2),
    DatasetInfo(
        Torus(2),
        "checkerboard scaled to a periodic 4x4 board on the torus",
        support=torus_checkerboard_support,
        support_note="the 8 closed black cells of the periodic board on [-pi, pi)^2 (to within "
        "1e-6 of a cell, the float32 rounding of the draws)",
    ),
)
for _name in ("swissroll", "moons", "8gaussians", "circles", "pinwheel"):
    _base = {
        "swissroll": toy2d.swissroll,
        "moons": toy2d.moons,
        "8gaussians": toy2d.eight_gaussians,
        "circles": toy2d.circles,
        "pinwheel": toy2d.pinwheel,
    }[_name]
    register_dataset(
        f"torus-{_name}",
        partial(on_torus, base=_base, scale=math.pi / 3),
        DatasetInfo(Torus(2), f"{_name} scaled by pi/3 and wrapped onto the torus"),
    )

__all__ = [
    "on_torus",
    "positive_stable",
    "student_t",
    "symmetric_stable",
    "torus_checkerboard_support",
]
