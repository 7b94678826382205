"""State spaces: shapes, support checks and the geometry a sampler steps in."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor


class SupportError(ValueError):
    """Data lie outside a state space; the message names the offending rows."""


def shape_hint(shape: tuple[int, ...], event_shape: tuple[int, ...]) -> str:
    """What to do about data of ``shape`` where rows of ``event_shape`` were expected: a reshape
    when the rows hold the right number of values, else their count against the space's."""
    have, need = math.prod(shape[1:]), math.prod(event_shape)
    if len(shape) >= 1 and have == need:
        return f"reshape them to (n, {', '.join(map(str, event_shape))}), one sample per row"
    return f"one sample per row: these rows hold {have} values, the space needs {need}"


def whole_number(value: object, what: str, minimum: int = 1) -> int:
    """``value`` as an ``int`` of at least ``minimum`` (a ``ValueError`` naming ``what``
    otherwise): ``2``, ``2.0`` and ``np.int64(2)`` are 2; ``2.5``, ``True`` and ``"2"`` are
    refused, not truncated."""
    try:
        whole = not isinstance(value, (bool, str)) and int(value) == value  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole or int(value) < minimum:  # type: ignore[call-overload]
        raise ValueError(f"{what} must be a whole number of at least {minimum}, got {value!r}")
    return int(value)  # type: ignore[call-overload]


def _row_list(bad: Tensor, limit: int = 5) -> str:
    rows = torch.nonzero(bad).flatten().tolist()
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"{len(rows)} row(s): {shown}{more} (counted from 0)"


class Space:
    """A state space ``E`` with reference measure ``μ``.

    Points are tensors of shape ``(batch, *event_shape)``; tangent vectors (scores, drifts, noise) have
    shape ``(batch, *tangent_shape)``. Subclasses define the support, the features a network sees and
    one Euler–Maruyama step of ``dy = a dt + σ dW`` in the space's own geometry.
    """

    event_shape: tuple[int, ...]
    tangent_shape: tuple[int, ...]
    name: str = "space"
    #: what a row of this space's data holds, when its shape alone does not say (error messages)
    shape_note: str = ""

    @property
    def dim(self) -> int:
        """Number of scalar coordinates of one tangent vector."""
        return math.prod(self.tangent_shape)

    @property
    def feature_dim(self) -> int:
        """Width of :meth:`features`."""
        return math.prod(self.event_shape)

    @property
    def integer_coordinates(self) -> tuple[bool, ...]:
        """Per flattened coordinate of a point: whether it takes integer values (files write
        those as integers)."""
        return (False,) * math.prod(self.event_shape)

    def outside(self, x: Tensor) -> Tensor:
        """Boolean ``(batch,)`` mask of points outside the support (finite values assumed)."""
        return torch.zeros(x.shape[0], dtype=torch.bool, device=x.device)

    def validate(self, x: Tensor) -> Tensor:
        """Check shape, finiteness and support of user data; raise :class:`SupportError` naming rows.
        Integer and boolean data on a continuous space come back as floats (the default dtype);
        flat rows of a space of matrices (``(n, 9)`` for ``SO(3)``'s ``(3, 3)``: a ``.csv`` file's,
        as ``dmm sample`` writes them) come back in its shape, read row-major; arrays become
        tensors."""
        x = torch.as_tensor(x)
        if not x.is_floating_point() and not x.is_complex():
            x = x.to(torch.get_default_dtype())
        event = tuple(self.event_shape)
        if len(event) > 1 and x.dim() == 2 and x.shape[1] == math.prod(event):
            x = x.reshape(x.shape[0], *event)
        if tuple(x.shape[1:]) != tuple(self.event_shape):
            raise SupportError(
                f"data has shape {tuple(x.shape)}, expected (n, {', '.join(map(str, self.event_shape))})"
                f" for {self.name}: {shape_hint(tuple(x.shape), self.event_shape)}"
                + (f" ({self.shape_note})" if self.shape_note else "")
            )
        if x.is_floating_point():
            finite = torch.isfinite(x.reshape(x.shape[0], -1)).all(dim=1)
            if not finite.all():
                raise SupportError(f"data has NaN or infinite values in {_row_list(~finite)}")
        bad = self.outside(x)
        if bad.any():
            hint = self.outside_hint(x[bad])
            raise SupportError(
                f"data outside {self.name} ({self.support_text}) in {_row_list(bad)}"
                + (f"; {hint}" if hint else "")
            )
        return x

    def validate_states(self, x: Tensor) -> Tensor:
        """:meth:`validate` for states a process on this space may be in, not only its data (a
        start of the backward process): on a space with a MASK state, that state too."""
        return self.validate(x)

    support_text: str = ""

    def outside_hint(self, rows: Tensor) -> str:
        """What to do about ``rows``, the data rows outside the support (one clause, or ``""``);
        :meth:`validate` appends it to its error."""
        return ""

    def features(self, x: Tensor) -> Tensor:
        """Flat features ``(batch, feature_dim)`` a network reads."""
        return x.reshape(x.shape[0], -1)

    #: how :meth:`embed` writes a point, where it is not the point's own coordinates
    embedding: str = ""

    def embed(self, x: Tensor) -> Tensor:
        """Flat rows in a Euclidean space that the space's geometry maps into without cuts: what
        two-sample metrics (distances, classifiers) compare. Here the coordinates themselves."""
        return x.reshape(x.shape[0], -1)

    def feature_mask(self, cells: Tensor) -> Tensor:
        """Which features each cell feeds: ``cells`` is a ``(batch, *event_shape)`` mask of the
        state's entries, the result the ``(batch, feature_dim)`` mask of the features read off
        the masked entries (here one feature per entry, as :meth:`features`)."""
        return cells.reshape(cells.shape[0], -1)

    def step(
        self, y: Tensor, drift: Tensor, sigma: Tensor | float, h: Tensor, xi: Tensor
    ) -> Tensor:
        """One Euler–Maruyama step of ``dy = drift dt + σ dW`` over time ``h``; ``xi ~ N(0, I)``.

        ``h`` has shape ``(batch,)`` or is a scalar tensor; ``sigma`` is diagonal (broadcasts to the
        tangent shape).
        """
        hb = expand_batch(h, drift)
        return y + drift * hb + sigma * hb.sqrt() * xi

    def noise(self, n: int, generator: torch.Generator | None, like: Tensor) -> Tensor:
        """Standard Gaussian noise in the tangent shape."""
        return torch.randn(
            (n, *self.tangent_shape), generator=generator, device=like.device, dtype=_float(like)
        )

    def gradient(
        self, f: Callable[[Tensor], Tensor], x: Tensor, create_graph: bool = False
    ) -> Tensor:
        """Gradient of ``f: (batch, *event) -> (batch,)`` at ``x`` as a tangent vector (the metric's
        gradient; plain autograd for flat coordinates). With ``create_graph`` the result stays
        differentiable (in ``f``'s parameters, and in ``x`` when ``x`` requires grad)."""
        with torch.enable_grad():
            keep = create_graph and x.requires_grad
            xg = x if keep else x.detach().requires_grad_(True)
            (g,) = torch.autograd.grad(
                f(xg).sum(),
                xg,
                create_graph=create_graph,
                allow_unused=True,
                materialize_grads=True,
            )
        return g

    def second_derivatives(self, f: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
        """Second derivatives of ``f`` along the geodesics of the space's orthonormal tangent
        frame, shape ``(batch, *tangent_shape)``; ``Σ_i D_ii ∂²_i f`` is the second-order part of a
        diffusion generator. Flat coordinates: the Hessian diagonal (autograd). Curved spaces
        override (SO(3): the Laplace–Beltrami operator through a left-invariant frame)."""
        n = x.shape[0]
        with torch.enable_grad():
            xg = x.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(
                f(xg).sum(), xg, create_graph=True, allow_unused=True, materialize_grads=True
            )
            g_flat = grad.reshape(n, -1)
            out = torch.zeros_like(g_flat)
            if g_flat.requires_grad:  # otherwise f is affine or constant: no second derivatives
                for i in range(g_flat.shape[1]):
                    (hii,) = torch.autograd.grad(
                        g_flat[:, i].sum(),
                        xg,
                        retain_graph=True,
                        allow_unused=True,
                        materialize_grads=True,
                    )
                    out[:, i] = hii.reshape(n, -1)[:, i]
        return out.detach().reshape(n, *self.tangent_shape)


def _float(x: Tensor) -> torch.dtype:
    return x.dtype if x.is_floating_point() else torch.get_default_dtype()


def expand_batch(t: Tensor, x: Tensor) -> Tensor:
    """Broadcast a per-sample ``(batch,)`` (or scalar) tensor against ``x`` of shape (batch, ...)."""
    t = torch.as_tensor(t, dtype=_float(x), device=x.device)
    if t.ndim == 0:
        return t
    return t.reshape(t.shape[0], *([1] * (x.ndim - 1)))


def exact_divergence(v: Tensor, x: Tensor, create_graph: bool = False) -> Tensor:
    """``Σ_i ∂v_i/∂x_i`` per row, for ``v`` computed from ``x`` (``x.requires_grad``) row by row:
    one autograd pass per coordinate (``create_graph``: keep it differentiable, for losses)."""
    n = x.shape[0]
    flat = v.reshape(n, -1)
    div = torch.zeros(n, dtype=x.dtype, device=x.device)
    for i in range(flat.shape[1]):
        last = i == flat.shape[1] - 1
        (g,) = torch.autograd.grad(
            flat[:, i].sum(), x, create_graph=create_graph, retain_graph=create_graph or not last
        )
        div = div + g.reshape(n, -1)[:, i]
    return div
