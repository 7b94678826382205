"""The outcome of one check of :mod:`dmm.testing`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CheckResult:
    """Outcome of one check: ``passed`` iff ``value <= tolerance`` (when applicable)."""

    name: str
    passed: bool
    value: float
    tolerance: float
    applicable: bool = True
    detail: str = ""

    def __str__(self) -> str:
        if not self.applicable:
            return f"[n/a ] {self.name}: {self.detail}"
        mark = "ok  " if self.passed else "FAIL"
        return f"[{mark}] {self.name}: {self.value:.3g} <= {self.tolerance:.3g} {self.detail}"


__all__ = ["CheckResult"]
