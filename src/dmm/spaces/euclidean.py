"""Euclidean space ``R^d`` with Lebesgue measure."""

from __future__ import annotations

from .base import Space, whole_number


class Euclidean(Space):
    """``R^d`` (or ``R^{event_shape}``) with Lebesgue reference measure; every finite point is inside."""

    support_text = "finite real vectors"

    def __init__(self, *event_shape: int) -> None:
        if not event_shape:
            raise ValueError("Euclidean needs at least one dimension, got none")
        self.event_shape = tuple(whole_number(s, "a dimension of Euclidean") for s in event_shape)
        self.tangent_shape = self.event_shape
        self.name = f"R^{'x'.join(map(str, self.event_shape))}"

    def __repr__(self) -> str:
        return f"Euclidean{self.event_shape}"
