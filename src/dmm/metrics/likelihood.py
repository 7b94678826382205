"""Log-likelihoods by the probability-flow ODE, integrated by an adaptive solver (torchdiffeq).

For a diffusion block with generator ``L f = b·∇f + ½ D : ∇²f`` the probability flow (forward
time) ``dy/dt = v(y, t) = b - ½∇·D - ½ D s_θ`` (:func:`dmm.reversal.diffusion.flow_velocity`)
carries ``p_t`` to ``p_T`` when ``s_θ = ∇log p_t``, and along its solutions

    d/dt log p_t(y_t) = -div v(y_t, t),   so   log p_{t_0}(x) = log q(y_T) + ∫_{t_0}^T div v(y_t, t) dt,

with ``q`` the reference (or any density at ``T`` passed as ``terminal``). The value is the model's
``log p_{t_0}`` (``t_0 = t_min`` by default: the data convolved with the kernel at ``t_min``), in
nats w.r.t. Lebesgue measure in the process's coordinates; it ignores the terminal mismatch
``KL(p_T || q)`` (``process.terminal_kl``). The divergence is exact (one autograd pass per
coordinate), so the cost grows with the dimension; the solver is torchdiffeq's adaptive
Dormand–Prince by default (Chen et al. 2018; FFJORD's likelihood, Grathwohl et al. 2019).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from ..processes.diffusion import Diffusion
from ..reversal.base import Reversal
from ..reversal.diffusion import flow_velocity
from ..spaces.base import exact_divergence


@dataclass(frozen=True)
class FlowLikelihood:
    """``log_prob``: ``log p_{t_0}(x)`` per row (nats); ``nfe``: network evaluations the solver
    used (each also costs one autograd pass per coordinate for the divergence)."""

    log_prob: Tensor
    nfe: int


def field_and_divergence(field: Callable[[Tensor], Tensor], y: Tensor) -> tuple[Tensor, Tensor]:
    """``(v(y), Σ_i ∂v_i/∂y_i)`` for ``v: (n, d) -> (n, d)`` acting row by row (exact: ``d``
    autograd passes through one evaluation)."""
    with torch.enable_grad():
        y = y.detach().requires_grad_(True)
        v = field(y)
        div = exact_divergence(v, y)
    return v.detach(), div.detach()


def flow_log_likelihood(
    rev: Reversal,
    x: Tensor,
    t_start: float | None = None,
    terminal: Callable[[Tensor], Tensor] | None = None,
    rtol: float = 1e-5,
    atol: float = 1e-5,
    method: str = "dopri5",
) -> FlowLikelihood:
    """``log p_{t_start}(x)`` of the model ``rev`` by the probability-flow ODE (module doc), rows of
    ``x`` of shape ``(n, d)``; ``terminal`` is the log-density at ``T`` (default: the reference's).
    Needs ``torchdiffeq`` (``pip install 'denoising-markov-models[likelihood]'``)."""
    try:
        from torchdiffeq import odeint
    except ImportError as err:  # an optional extra
        raise ImportError(
            "flow_log_likelihood needs torchdiffeq: pip install 'denoising-markov-models[likelihood]'"
        ) from err
    process = rev.process
    process.block(Diffusion)
    if x.dim() != 2:
        raise ValueError(f"x must have shape (n, d), got {tuple(x.shape)}")
    t0 = process.t_min if t_start is None else float(t_start)
    log_terminal = terminal or process.reference.log_prob
    calls = [0]

    def rhs(t: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        # an adaptive solver steps past T and interpolates back, and schedules need not exist
        # beyond T (the cosine one's rate turns negative): the field is held at T out there
        y = state[0]
        tt = torch.full((y.shape[0],), min(float(t), process.T), dtype=y.dtype, device=y.device)
        calls[0] += 1
        v, div = field_and_divergence(lambda z: flow_velocity(rev, z, tt), y)
        return v, div

    times = torch.tensor([t0, process.T], dtype=x.dtype, device=x.device)
    start = (x, torch.zeros(x.shape[0], dtype=x.dtype, device=x.device))
    ys, integral = odeint(rhs, start, times, rtol=rtol, atol=atol, method=method)
    return FlowLikelihood(log_terminal(ys[-1]) + integral[-1], calls[0])


__all__ = ["FlowLikelihood", "field_and_divergence", "flow_log_likelihood"]
