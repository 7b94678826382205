"""The one parser from schedule names (a config string) to schedule objects.

Every schedule the catalogue offers is a function of two numbers, its low and high ends
(``β_min, β_max`` of a linear rate, ``σ_min, σ_max`` of a geometric noise level, ``ε`` of the
log-linear chain schedule); a family declares which names it accepts and which of its parameters
hold the two ends with a :class:`ScheduleChoice`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...processes import (
    ConstantSchedule,
    CosineSchedule,
    GeometricSchedule,
    LinearSchedule,
    LogLinearSchedule,
    Schedule,
)
from ...processes.schedules import ExponentialSchedule

#: name → schedule from its (low, high) ends
SCHEDULES: dict[str, Callable[[float, float], Schedule]] = {
    "linear": LinearSchedule,
    "exponential": ExponentialSchedule,
    "geometric": GeometricSchedule,
    "cosine": lambda low, high: CosineSchedule(),
    "constant": lambda low, high: ConstantSchedule(1.0),
    "log-linear": lambda low, high: LogLinearSchedule(low),
}


def parse_schedule(
    name: str, low: float, high: float, known: Sequence[str] = tuple(SCHEDULES), what="schedule"
) -> Schedule:
    """The schedule ``name`` (one of ``known``) with ends ``low``, ``high``; ``ValueError`` naming
    ``what`` and the known names otherwise."""
    if name not in known:
        raise ValueError(f"unknown {what} '{name}' (known: {', '.join(known)})")
    return SCHEDULES[name](float(low), float(high))


@dataclass(frozen=True)
class ScheduleChoice:
    """A family's schedule options: ``params[key]`` names one of ``names`` (``key=None``: always
    ``names[0]``); ``params[low]`` and ``params[high]`` (default: ``low``) are its ends."""

    names: tuple[str, ...]
    low: str
    high: str | None = None
    key: str | None = "schedule"

    def __call__(self, params: Mapping[str, Any]) -> Schedule:
        name = params[self.key] if self.key else self.names[0]
        high = params[self.high or self.low]
        try:
            return parse_schedule(name, params[self.low], high, self.names, self.key or "schedule")
        except ValueError as exc:  # named as the user names them (rate_min, not beta_min)
            ends = f"{self.low}={params[self.low]}" + (f", {self.high}={high}" if self.high else "")
            raise ValueError(f"{ends}: {exc}") from None
