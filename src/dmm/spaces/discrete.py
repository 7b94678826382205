"""The finite state space ``{0, ..., S-1}^d`` (optionally with an extra MASK value ``S``)."""

from __future__ import annotations

import torch
from torch import Tensor

from .base import Space, SupportError, _row_list, shape_hint, whole_number


class Discrete(Space):
    """``{0..S-1}^d`` with counting measure; ``mask=True`` adds the absorbing value ``MASK = S``.

    Points are integer tensors of shape ``(batch, d)``. Data must lie in ``[0, S)`` (MASK is a
    state of the noising process, never a data value). The chain's score coordinates are ratios of
    shape ``(batch, d, n_states)``, which is the tangent shape here; networks read one-hot features
    of width ``d · n_states``."""

    def __init__(self, d: int, S: int, mask: bool = False) -> None:
        self.d = whole_number(d, "Discrete's d (coordinates)")
        self.S = whole_number(S, "Discrete's S (states per coordinate)", 2)
        self.mask = bool(mask)
        #: number of values a coordinate can take during the process (``S``, or ``S + 1`` with MASK)
        self.n_states = self.S + int(self.mask)
        self.event_shape = (self.d,)
        self.tangent_shape = (self.d, self.n_states)
        self.name = f"{{0..{self.S - 1}}}^{self.d}" + (" (+MASK)" if self.mask else "")
        self.support_text = f"integers in [0, {self.S})"

    @property
    def integer_coordinates(self) -> tuple[bool, ...]:
        return (True,) * self.d

    @property
    def mask_value(self) -> int:
        """The MASK value ``S`` (only meaningful when ``mask=True``)."""
        return self.S

    @property
    def feature_dim(self) -> int:
        return self.d * self.n_states

    def outside(self, x: Tensor) -> Tensor:
        return ((x < 0) | (x >= self.S)).reshape(x.shape[0], -1).any(dim=1)

    def validate(self, x: Tensor) -> Tensor:
        """Check shape, integrality and range of user data and return it as ``long``; raise
        :class:`SupportError` naming the offending rows."""
        x = torch.as_tensor(x)
        if x.ndim != 2 or x.shape[1] != self.d:
            raise SupportError(
                f"data has shape {tuple(x.shape)}, expected (n, {self.d}) for "
                f"{self.name} (d = {self.d} coordinates per sample): "
                f"{shape_hint(tuple(x.shape), self.event_shape)}"
            )
        if x.is_floating_point():
            flat = x.reshape(x.shape[0], -1)
            finite = torch.isfinite(flat).all(dim=1)
            if not finite.all():
                raise SupportError(f"data has NaN or infinite values in {_row_list(~finite)}")
            integral = (flat == flat.round()).all(dim=1)
            if not integral.all():
                raise SupportError(
                    f"data has non-integer values in {_row_list(~integral)} "
                    f"({self.name} takes {self.support_text}); round or bin them to integer codes"
                )
        elif x.dtype == torch.bool or x.is_complex():
            raise SupportError(f"data of dtype {x.dtype} cannot be states of {self.name}")
        bad = self.outside(x)
        if bad.any():
            raise SupportError(
                f"data outside {self.name} ({self.support_text}) in {_row_list(bad)}; "
                f"{self.outside_hint(x[bad])}"
            )
        return x.long()

    def validate_states(self, x: Tensor) -> Tensor:
        """:meth:`validate`, with the MASK value ``S`` a state too when ``mask=True``."""
        if not self.mask:
            return self.validate(x)
        states = Discrete(self.d, self.n_states)
        try:
            return states.validate(x)
        except SupportError:
            x = torch.as_tensor(x)
            if tuple(x.shape[1:]) != (self.d,) or not torch.isfinite(x.double()).all():
                raise
            bad = states.outside(x)
            if not bad.any():  # not integers: that error stands
                raise
            raise SupportError(
                f"states outside {self.name} (integers in [0, {self.S}], {self.S} the MASK) "
                f"in {_row_list(bad)}"
            ) from None

    def outside_hint(self, rows: Tensor) -> str:
        low, high = int(rows.min()), int(rows.max())
        if low < 0:
            return f"values down to {low}: shift the codes to start at 0"
        return f"values up to {high} need S >= {high + 1}"

    def one_hot(self, x: Tensor) -> Tensor:
        """``(batch, d, n_states)`` float one-hot encoding."""
        return torch.nn.functional.one_hot(x.long(), self.n_states).to(torch.get_default_dtype())

    def features(self, x: Tensor) -> Tensor:
        return self.one_hot(x).reshape(x.shape[0], -1)

    def feature_mask(self, cells: Tensor) -> Tensor:
        """A coordinate feeds its ``n_states`` one-hot features."""
        return cells.reshape(cells.shape[0], -1).repeat_interleave(self.n_states, dim=1)

    def step(self, y, drift, sigma, h, xi) -> Tensor:
        raise TypeError(
            f"{self.name} is discrete: it has no Euler–Maruyama step (use a chain sampler)"
        )

    def noise(self, n, generator, like) -> Tensor:
        raise TypeError(f"{self.name} is discrete: it has no Gaussian noise")

    def gradient(self, f, x) -> Tensor:
        raise TypeError(f"{self.name} is discrete: functions on it have no gradient")

    def __repr__(self) -> str:
        return f"Discrete(d={self.d}, S={self.S}, mask={self.mask})"
