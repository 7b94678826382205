"""Log-likelihoods on SO(3) by the probability-flow ODE with the manifold divergence.

For the Brownian forward process ``L_t = ½β(t)Δ`` the probability flow (forward time) is
``dx/dt = x v̂(x, t)`` with body-frame velocity ``v = b - ½∇·D - ½ D s_θ = -½β(t) s_θ``
(:func:`dmm.reversal.diffusion.flow_velocity`), and along its solutions

    d/dt log p_t(x_t) = -div v(x_t, t),   so   log p_{t_min}(x) = log q(x_T) + ∫_{t_min}^T div v dt.

The divergence is w.r.t. normalised Haar measure. In the orthonormal left-invariant frame
``E_i = x ê_i`` every ``E_i`` is divergence-free (a Killing field of the bi-invariant metric on a
unimodular group), so ``div(Σ v_i E_i) = Σ_i E_i(v_i)`` with ``E_i(f)(x) = d/dε f(x exp(ε ê_i))``:
three directional derivatives, computed exactly by autograd (:func:`so3_divergence`).

Base measure: normalised Haar (``q = Haar`` has log-density 0, so Haar itself scores 0 nats). The
value is ``log p_{t_min}`` of the model, i.e. of the data convolved with IGSO(3)(``B(t_min)``), and it
ignores the terminal mismatch ``KL(p_T || q)`` (reported by ``process.terminal_kl``).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

import torch
from torch import Tensor

from ..reversal.base import Reversal
from ..reversal.diffusion import flow_velocity
from ..spaces.so3 import SO3, hat


def so3_divergence(field: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """``div v(x) = Σ_i d/dε v_i(x exp(ε ê_i))|₀`` for a body-frame field ``v: (n,3,3) -> (n,3)``,
    w.r.t. normalised Haar measure (exact: three autograd passes)."""
    return so3_field_and_divergence(field, x)[1]


def so3_field_and_divergence(field: Callable[[Tensor], Tensor], x: Tensor) -> tuple[Tensor, Tensor]:
    """``(v(x), div v(x))`` from one evaluation of ``field`` (see :func:`so3_divergence`)."""
    with torch.enable_grad():
        eps = torch.zeros(x.shape[0], 3, dtype=x.dtype, device=x.device, requires_grad=True)
        eye = torch.eye(3, dtype=x.dtype, device=x.device)
        v = field(x.detach() @ (eye + hat(eps)))  # first order in ε is all the derivative needs
        out = []
        for i in range(3):
            (g,) = torch.autograd.grad(
                v[:, i].sum(), eps, retain_graph=i < 2, allow_unused=True, materialize_grads=True
            )
            out.append(g[:, i])
    return v.detach(), torch.stack(out, 1).sum(1).detach()


def so3_log_likelihood(
    rev: Reversal, x: Tensor, steps: int = 200, t_start: float | None = None
) -> Tensor:
    """``log p_{t_start}(x)`` (nats, w.r.t. normalised Haar) by the probability-flow ODE from
    ``t_start`` (default ``t_min``) to ``T``, Heun's method in the group
    (``x ← x exp(h (v₁ + v₂)/2)``), exact divergence, ``log q(x_T) = log`` of the reference.

    ``x`` must hold rotations (``process.space.validate``: a :class:`~dmm.spaces.SupportError`
    names the rows that are not) and ``steps ≥ 1``: with none the value would be the reference's
    ``log q(x)`` whatever the model."""
    process = rev.process
    if not isinstance(process.space, SO3):
        raise TypeError(f"so3_log_likelihood needs a process on SO(3), got {process.space!r}")
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise ValueError(f"so3_log_likelihood needs steps >= 1 (an integer), got {steps!r}")
    x = process.space.validate(x)
    t0 = process.t_min if t_start is None else float(t_start)
    grid = torch.linspace(t0, process.T, steps + 1, dtype=torch.float64)
    space = process.space
    y = x
    total = torch.zeros(x.shape[0], dtype=torch.float64, device=x.device)

    def velocity(t: float) -> Callable[[Tensor], Tensor]:
        tt = torch.full((x.shape[0],), t, dtype=x.dtype, device=x.device)
        return lambda z: flow_velocity(rev, z, tt)

    for k in range(steps):
        t, t_next = float(grid[k]), float(grid[k + 1])
        h = t_next - t
        v1, d1 = so3_field_and_divergence(velocity(t), y)
        y_pred = space.exp(y, h * v1)
        v2, d2 = so3_field_and_divergence(velocity(t_next), y_pred)
        total += 0.5 * h * (d1 + d2).double()
        y = space.exp(y, 0.5 * h * (v1 + v2))
    return total + process.reference.log_prob(y).double()


__all__ = ["so3_divergence", "so3_field_and_divergence", "so3_log_likelihood"]
