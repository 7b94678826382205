"""Factorised continuous-time Markov chains on ``{0..S-1}^d`` (MATH.md §1, §6).

One coordinate jumps at a time, ``a → b`` at rate ``β(t) R(a, b)``:

    L_t f(x) = Σ_i Σ_{v ≠ x_i} β(t) R(x_i, v) [f(x^{i←v}) - f(x)],

with kernel ``p^i_{t|0}(v | a) = exp(B(t) R)(a, v)``. Backward (MATH.md §2,
:mod:`dmm.reversal.chains`):

    ←L f(y) = Σ_i Σ_{v ≠ y_i} β(t) R(v, y_i) ρ_θ(y)_{i,v} [f(y^{i←v}) - f(y)],

``ρ_θ(y)_{i,v} ≈ p_t(y^{i←v}) / p_t(y)``. The uniform, absorbing and ordinal chains differ only in
``R`` (plus closed-form kernels, tested against the matrix exponential).
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor

from ..spaces import Space
from ..spaces.base import whole_number
from ..spaces.discrete import Discrete
from .base import Block, MissingCapability, Process
from .rate_matrices import (
    LogLinearSchedule,
    absorbing_rate_matrix,
    check_rate_matrix,
    ordinal_rate_matrix,
    uniform_rate_matrix,
)
from .references import Reference
from .schedules import Schedule


class Categorical(Reference):
    """Product law on ``{0..n-1}^d``: each coordinate independently ``~ probs``."""

    def __init__(self, d: int, probs: Tensor) -> None:
        self.d = int(d)
        self.probs64 = (probs / probs.sum()).to(torch.float64)
        self.probs = self.probs64.to(torch.get_default_dtype())

    def sample(self, n: int, generator: torch.Generator | None = None, device=None) -> Tensor:
        p = self.probs.to(device).expand(n, self.d, -1)
        return categorical(p, generator)

    def log_prob(self, x: Tensor) -> Tensor:
        return torch.log(self.probs.to(x.device))[x].sum(1)

    def __repr__(self) -> str:
        return f"Categorical(d={self.d}, probs={[round(p, 4) for p in self.probs.tolist()]})"


def categorical(probs: Tensor, generator: torch.Generator | None) -> Tensor:
    """Inverse-CDF draw from unnormalised ``probs`` (..., n) -> long (...). One uniform per draw, so
    two calls with the same seed are coupled (small-variance finite differences)."""
    cdf = probs.cumsum(-1)
    u = torch.rand(cdf.shape[:-1] + (1,), generator=generator, device=probs.device, dtype=cdf.dtype)
    return (cdf < u * cdf[..., -1:]).sum(-1).clamp_max(probs.shape[-1] - 1)


class Chain(Block):
    """Generator block of a factorised chain on ``{0..n-1}^d``: coordinate ``i`` jumps ``a → b`` at
    rate ``β(t) R(a, b)`` (see the module doc), ``n = R.shape[0]``.

    Kernels are exact: ``P(b) = exp(b R)`` at integrated rate ``b = B(t)`` (eigendecomposition for
    symmetric ``R``, the matrix exponential otherwise); :class:`UniformRates` and
    :class:`AbsorbingRates` use closed forms. All kernel methods accept negative ``b``.
    Backward block (:mod:`dmm.reversal.chains`): ``←Q(y, y^{i←v}) = β(t) R(v, y_i) ρ_θ(y)_{i,v}``.
    """

    def __init__(self, rate_matrix: Tensor, schedule: Schedule | None = None) -> None:
        self.rate_matrix = check_rate_matrix(rate_matrix)
        self.schedule = schedule or LogLinearSchedule()
        self.n_states = self.rate_matrix.shape[0]
        self._spectrum: tuple[Tensor, Tensor] | None = None

    def _eigh(self) -> tuple[Tensor, Tensor] | None:
        """``R``'s eigendecomposition where ``R`` is symmetric (``None`` otherwise), computed on
        first use: it costs ``O(n³)``, which the closed-form chains never pay."""
        if self._spectrum is None:
            R = self.rate_matrix
            symmetric = bool(torch.allclose(R, R.T, atol=1e-12))
            self._spectrum = torch.linalg.eigh(R) if symmetric else ()  # type: ignore[assignment]
        return self._spectrum or None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_states={self.n_states}, schedule={self.schedule!r})"

    def check(self, space: Space) -> None:
        states = getattr(space, "n_states", None)
        if not isinstance(space, Discrete) or states != self.n_states:
            raise ValueError(
                f"{self!r} moves between {self.n_states} states, but {space.name} "
                + (f"has {states}" if isinstance(space, Discrete) else "is not discrete")
                + f": give it Discrete(d, S={self.n_states}) (or S={self.n_states - 1} with "
                "mask=True, whose MASK is the last state)"
            )

    def beta(self, t: Tensor) -> Tensor:
        return self.schedule.beta(t)

    def integral(self, t: Tensor) -> Tensor:
        return self.schedule.integral(t)

    def one_hot(self, x: Tensor) -> Tensor:
        """``(batch, d, n_states)`` float one-hot encoding of states ``x``."""
        return torch.nn.functional.one_hot(x.long(), self.n_states).to(torch.get_default_dtype())

    def transition_matrix(self, b: Tensor) -> Tensor:
        """``exp(b R)`` for integrated rates ``b`` of shape ``(batch,)`` -> ``(batch, n, n)``
        (float64)."""
        b = torch.as_tensor(b, dtype=torch.float64).reshape(-1)
        b, inverse = torch.unique(b, return_inverse=True)  # simulate's batches share one time
        spectrum = self._eigh()
        if spectrum is not None:
            evals, V = spectrum[0].to(b.device), spectrum[1].to(b.device)
            P = (V * torch.exp(b[:, None] * evals)[:, None, :]) @ V.T
        else:
            P = torch.linalg.matrix_exp(b[:, None, None] * self.rate_matrix.to(b.device))
        return P[inverse]

    def kernel_apply(self, p: Tensor, b: Tensor) -> Tensor:
        """Row vectors times the kernel: ``(p exp(bR))_v`` for ``p`` of shape ``(batch, d, n)``."""
        P = self.transition_matrix(b).to(p.dtype)
        return p @ P

    def kernel_column(self, y: Tensor, b: Tensor) -> Tensor:
        """``exp(bR)(a, y_i)`` over ``a``: ``(batch, d, n)`` for states ``y`` ``(batch, d)``."""
        P = self.transition_matrix(b).to(torch.get_default_dtype())
        return torch.gather(P.transpose(1, 2), 1, y.long()[..., None].expand(-1, -1, P.shape[1]))

    def rates_into(self, y: Tensor) -> Tensor:
        """``R(v, y_i)`` over ``v`` (rate **into** the current value), ``(batch, d, n)``; zero at
        ``v = y_i``."""
        R = self.rate_matrix.to(device=y.device, dtype=torch.get_default_dtype())
        col = R.T[y.long()]
        return col.scatter(-1, y.long()[..., None], 0.0)

    def rates_out(self, y: Tensor) -> Tensor:
        """``R(y_i, v)`` over ``v``, ``(batch, d, n)``; zero at ``v = y_i``."""
        R = self.rate_matrix.to(device=y.device, dtype=torch.get_default_dtype())
        return R[y.long()].scatter(-1, y.long()[..., None], 0.0)

    def forward_step(self, space, x, t, h, generator) -> Tensor:
        """Exact step: ``x_i ~ exp((B(t+h) - B(t)) R)(x_i, ·)`` independently."""
        b = self.integral(t + h) - self.integral(t)
        return categorical(self.kernel_apply(self.one_hot(x), b).clamp_min(0), generator)

    def generator(self, space, f, x, t) -> Tensor:
        fx = f(x).to(torch.get_default_dtype())
        rates = self.beta(t)[:, None, None] * self.rates_out(x)
        out = torch.zeros_like(fx)
        for i in range(x.shape[1]):
            for v in range(self.n_states):
                y = x.clone()
                y[:, i] = v
                out = out + rates[:, i, v] * (f(y).to(fx.dtype) - fx)
        return out


class _ClosedForm(Chain):
    """A chain whose kernel and rates have closed forms in ``S``: nothing costs ``S²`` (the
    dense ``R`` is built only if asked for, e.g. by an oracle)."""

    def __init__(self, S: int, n_states: int, schedule: Schedule | None = None) -> None:
        S = whole_number(S, "a chain's S (states per coordinate)")
        if n_states < 2:
            raise ValueError(f"a chain needs at least 2 states, got S={S!r}")
        self.S, self.n_states = S, int(n_states)
        self.schedule = schedule or LogLinearSchedule()
        self._spectrum = None
        self._dense: Tensor | None = None

    def dense(self) -> Tensor:
        raise NotImplementedError

    @property
    def rate_matrix(self) -> Tensor:  # type: ignore[override]
        if self._dense is None:
            self._dense = self.dense()
        return self._dense


class UniformRates(_ClosedForm):
    """``R = (11ᵀ - S I)/S``; closed-form kernel ``e^{-b} δ + (1 - e^{-b})/S``."""

    def __init__(self, S: int, schedule: Schedule | None = None) -> None:
        super().__init__(S, S, schedule)

    def dense(self) -> Tensor:
        return uniform_rate_matrix(self.S)

    def rates_into(self, y: Tensor) -> Tensor:
        """``R(v, y_i) = 1/S`` for every ``v ≠ y_i``."""
        out = torch.full((*y.shape, self.S), 1.0 / self.S, device=y.device)
        return out.scatter(-1, y.long()[..., None], 0.0)

    def rates_out(self, y: Tensor) -> Tensor:
        return self.rates_into(y)  # R is symmetric

    def kernel_apply(self, p: Tensor, b: Tensor) -> Tensor:
        a = torch.exp(-torch.as_tensor(b, dtype=p.dtype, device=p.device)).reshape(-1, 1, 1)
        return a * p + (1 - a) * p.sum(-1, keepdim=True) / self.S

    def kernel_column(self, y: Tensor, b: Tensor) -> Tensor:
        a = torch.exp(-torch.as_tensor(b, dtype=torch.get_default_dtype(), device=y.device))
        return a.reshape(-1, 1, 1) * self.one_hot(y) + (1 - a.reshape(-1, 1, 1)) / self.S


class AbsorbingRates(_ClosedForm):
    """Every value ``< S`` jumps to MASK ``= S`` at rate 1; closed-form kernel: stay w.p.
    ``e^{-b}``, else MASK."""

    def __init__(self, S: int, schedule: Schedule | None = None) -> None:
        super().__init__(S, S + 1, schedule)

    def dense(self) -> Tensor:
        return absorbing_rate_matrix(self.S)

    def rates_into(self, y: Tensor) -> Tensor:
        """``R(v, y_i)``: 1 from every value ``v < S`` into MASK, 0 into a value."""
        masked = (y.long() == self.S)[..., None].to(torch.get_default_dtype())
        out = masked.expand(*y.shape, self.n_states).clone()
        out[..., self.S] = 0.0
        return out

    def rates_out(self, y: Tensor) -> Tensor:
        """``R(y_i, v)``: 1 from a value to MASK, 0 from MASK."""
        value = (y.long() < self.S).to(torch.get_default_dtype())
        out = torch.zeros(*y.shape, self.n_states, device=y.device)
        out[..., self.S] = value
        return out

    def kernel_apply(self, p: Tensor, b: Tensor) -> Tensor:
        a = torch.exp(-torch.as_tensor(b, dtype=p.dtype, device=p.device)).reshape(-1, 1, 1)
        clean = a * p[..., : self.S]
        masked = (1 - a) * p[..., : self.S].sum(-1, keepdim=True) + p[..., self.S :]
        return torch.cat([clean, masked], -1)

    def kernel_column(self, y: Tensor, b: Tensor) -> Tensor:
        a = torch.exp(-torch.as_tensor(b, dtype=torch.get_default_dtype(), device=y.device))
        a = a.reshape(-1, 1, 1)
        is_mask = (y == self.S)[..., None].to(a.dtype)
        onehot = self.one_hot(y)
        col_mask = torch.cat(
            [(1 - a).expand(*y.shape, self.S), torch.ones_like(a).expand(*y.shape, 1)], -1
        )
        return is_mask * col_mask + (1 - is_mask) * a * onehot


class ChainProcess(Process):
    """A factorised chain on ``{0..S-1}^d`` with one :class:`Chain` block (a user rate matrix
    ``R``, ``S = R.shape[0] - mask``).

    Generator ``L f(x) = Σ_i Σ_{v≠x_i} β(t) R(x_i, v)[f(x^{i←v}) - f(x)]``; backward
    ``←L f(y) = Σ_i Σ_{v≠y_i} β(t) R(v, y_i) ρ(y)_{i,v} [f(y^{i←v}) - f(y)]``. Kernel ``exp(B(t)
    R)``. Reference ``q``: each coordinate ``~ u exp(B(T) R)``, ``u`` uniform on the data values
    (the law of ``X_T`` from uniform data: the stationary law for doubly stochastic ``R``, and
    always ≪ ``p_T``, so the terminal KL is finite)."""

    has_exact_transition: ClassVar[bool] = True
    has_denoiser: ClassVar[bool] = True

    def __init__(
        self,
        rate_matrix: Tensor | Chain,
        d: int,
        schedule: Schedule | None = None,
        T: float = 1.0,
        t_min: float = 1e-3,
        mask: bool = False,
    ) -> None:
        chain = rate_matrix if isinstance(rate_matrix, Chain) else Chain(rate_matrix, schedule)
        ends = torch.tensor([0.0, float(T)], dtype=torch.float64)
        rates = torch.cat([chain.beta(ends), chain.integral(ends)])
        if not torch.isfinite(rates).all():
            raise ValueError(
                f"the schedule {chain.schedule!r} is not defined on [0, T = {T}] (rate or its "
                "integral is not finite there); rescale it or use one defined up to T"
            )
        n = chain.n_states
        super().__init__(Discrete(d, n - int(mask), mask), (chain,), None, T, t_min)
        self.chain = chain
        u = torch.zeros(1, 1, n, dtype=torch.float64)
        u[..., : self.space.S] = 1.0 / self.space.S
        bT = chain.integral(torch.tensor([self.T], dtype=torch.float64))
        self.reference = Categorical(d, chain.kernel_apply(u, bT).flatten().clamp_min(0))

    @property
    def d(self) -> int:
        return self.space.d

    @property
    def S(self) -> int:
        return self.space.S

    @property
    def n_states(self) -> int:
        return self.space.n_states

    def transition_probs(self, x0: Tensor, t: Tensor) -> Tensor:
        """``p^i_{t|0}(v | x0_i)`` as ``(batch, d, n_states)``."""
        c = self.chain
        return c.kernel_apply(self.space.one_hot(x0), c.integral(t)).clamp_min(0)

    def sample_transition(self, x0: Tensor, t: Tensor, generator: torch.Generator | None) -> Tensor:
        return categorical(self.transition_probs(x0, t), generator)

    def conditional_ratio(self, xt: Tensor, x0: Tensor, t: Tensor) -> Tensor:
        """``r_0(y)_{i,v} = p^i_{t|0}(v | x0_i) / p^i_{t|0}(y_i | x0_i)`` (MATH.md §5c)."""
        p = self.transition_probs(x0, t)
        return p / torch.gather(p, -1, xt.long()[..., None]).clamp_min(1e-30)

    def conditional_score(self, xt: Tensor, x0: Tensor, t: Tensor) -> Tensor:
        raise MissingCapability(
            f"{type(self).__name__} is a chain: it has conditional ratios "
            "(conditional_ratio), not a conditional score"
        )

    def terminal_kl(self, x0: Tensor) -> Tensor:
        """``Σ_i KL(p^i_{T|0}(·|x0_i) || q_i)`` per sample (nats)."""
        T = torch.full((x0.shape[0],), self.T, dtype=torch.float64)
        c = self.chain
        p = c.kernel_apply(self.space.one_hot(x0).double(), c.integral(T)).clamp_min(0)
        q = self.reference.probs64.to(p.device)
        terms = torch.where(p > 0, p * (torch.log(p.clamp_min(1e-300)) - torch.log(q)), 0.0)
        return terms.sum((1, 2)).to(torch.get_default_dtype())

    def denoise(self, rev, y: Tensor, t: Tensor) -> Tensor:
        """Argmax of the model's ``p_θ(x_0^i | y)`` per coordinate (:func:`dmm.samplers.chains.
        sample_denoised` draws from it instead, which is the decoder of the NLL bound)."""
        return rev.model.x0_probs(y, t, rev.context).argmax(-1)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(d={self.d}, S={self.S}, schedule={self.chain.schedule!r})"


class UniformChain(ChainProcess):
    """Uniform chain ``R = (11ᵀ - S I)/S``: kernel ``α δ_{x_0} + (1 - α)/S``, ``α = e^{-B(t)}``;
    reference uniform. Backward rates ``β(t)/S · ρ(y)_{i,v}`` for every ``v ≠ y_i``.

    Generator ``L_t f(x) = β(t)/S Σ_i Σ_{v ≠ x_i} [f(x^{i←v}) - f(x)]``; backward generator
    ``←L_t f(y) = β(t)/S Σ_i Σ_{v ≠ y_i} ρ(y)_{i,v} [f(y^{i←v}) - f(y)]``, ``ρ`` the model's
    ratios ``p_t(y^{i←v})/p_t(y)``."""

    def __init__(
        self, d: int, S: int, schedule: Schedule | None = None, T: float = 1.0, t_min: float = 1e-3
    ) -> None:
        super().__init__(UniformRates(S, schedule), d, T=T, t_min=t_min)


class AbsorbingChain(ChainProcess):
    """Absorbing (masking) chain: each value jumps to MASK ``= S`` at rate ``β(t)``; kernel: stays
    with probability ``α = e^{-B(t)}``, else MASK. Reference: MASK with probability ``1 - α_T``,
    else uniform (→ all-MASK as ``α_T → 0``). Backward: a MASK unmasks to ``v`` at rate ``β(t)
    ρ(y)_{i,v}``; with the mean parameterisation ``ρ = α/(1-α) p_θ(x_0^i = v | y)``.

    Generator ``L_t f(x) = β(t) Σ_{i: x_i ≠ MASK} [f(x^{i←MASK}) - f(x)]``; backward generator
    ``←L_t f(y) = β(t) Σ_{i: y_i = MASK} Σ_{v < S} ρ(y)_{i,v} [f(y^{i←v}) - f(y)]``."""

    def __init__(
        self, d: int, S: int, schedule: Schedule | None = None, T: float = 1.0, t_min: float = 1e-3
    ) -> None:
        super().__init__(AbsorbingRates(S, schedule), d, T=T, t_min=t_min, mask=True)


class OrdinalChain(ChainProcess):
    """Chain for ordered values (pixel intensities): nearest-neighbour birth–death jumps
    (``kind="birth_death"``) or discretised-Gaussian jumps (``kind="gaussian"``), ``R`` symmetric
    with spectral gap 1 (:func:`~dmm.processes.rate_matrices.ordinal_rate_matrix`); reference
    uniform.

    Generator ``L_t f(x) = β(t) Σ_i Σ_{v ≠ x_i} R(x_i, v) [f(x^{i←v}) - f(x)]``; backward
    generator ``←L_t f(y) = β(t) Σ_i Σ_{v ≠ y_i} R(v, y_i) ρ(y)_{i,v} [f(y^{i←v}) - f(y)]``
    (``R`` symmetric), ``ρ`` the model's ratios ``p_t(y^{i←v})/p_t(y)``."""

    def __init__(
        self,
        d: int,
        S: int,
        schedule: Schedule | None = None,
        T: float = 1.0,
        t_min: float = 1e-3,
        kind: str = "birth_death",
        bandwidth: float | None = None,
    ) -> None:
        self.kind = kind
        super().__init__(ordinal_rate_matrix(S, kind, bandwidth), d, schedule, T, t_min)
