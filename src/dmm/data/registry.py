"""Named data sets and the resolver from a user's data spec (a name or a file path) to a tensor.

Each named data set is a sampler (:data:`BUILTIN_DATASETS`) and, declared next to its
registration, a :class:`DatasetInfo`: the state space one draw lies in (hence its event shape), its
dtype, a one-line description (:data:`DATASET_INFO`, what ``dmm data`` lists) and, where the set's
support is known, a membership test for it (``dmm eval`` reports the share of samples off it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from dmm.data import toy2d
from dmm.data.errors import DataError
from dmm.data.files import load_array
from dmm.spaces import Euclidean, Space

Support = Callable[[torch.Tensor], torch.Tensor]
"""A membership test ``f(x) -> Tensor`` of bools, one per row of ``x``: is the row on the support?"""

__all__ = [
    "BUILTIN_DATASETS",
    "DATASET_INFO",
    "DatasetInfo",
    "Sampler",
    "Support",
    "load_data",
    "register_dataset",
    "unseen",
]

Sampler = Callable[[int, torch.Generator], torch.Tensor]
"""A data set sampler: ``f(n, generator) -> Tensor`` of shape ``(n, *event_shape)``."""


@dataclass(frozen=True)
class DatasetInfo:
    """What one draw of a named data set is: a point of ``space`` (so its shape is the space's
    event shape) of dtype ``dtype``, described in one line.

    ``support``, where the set's support is known, tells for each row of a batch whether it is on
    it; ``support_note`` says in one line what "on the support" means (exact, or a band of stated
    width around a noiseless shape, with the share of fresh draws it holds). ``held_out``: the
    built-in of a finite set's held-out rows (fresh draws of the set repeat its training rows).
    """

    space: Space
    description: str
    dtype: torch.dtype = torch.float32
    support: Support | None = None
    support_note: str = ""
    #: for a finite set whose draws repeat its rows (``digits``): the built-in of its held-out
    #: rows, which validation and ``dmm eval`` read instead of fresh draws
    held_out: str | None = None
    #: a finite set's number of distinct rows (draws beyond it repeat them); ``None``: unbounded
    rows: int | None = None

    def __post_init__(self) -> None:
        if self.support is not None and not self.support_note:
            raise ValueError("a DatasetInfo with a support needs a support_note saying what it is")

    @property
    def shape(self) -> tuple[int, ...]:
        """The event shape of one draw."""
        return tuple(self.space.event_shape)


BUILTIN_DATASETS: dict[str, Sampler] = {
    "checkerboard": toy2d.checkerboard,
    "swissroll": toy2d.swissroll,
    "moons": toy2d.moons,
    "8gaussians": toy2d.eight_gaussians,
    "circles": toy2d.circles,
    "pinwheel": toy2d.pinwheel,
}
"""Every named data set, by name. Modules add their own with :func:`register_dataset`."""

_R2 = Euclidean(2)


def _band(shape: str, share: str = "1 - e^-8 = 0.99966") -> str:
    return (
        f"within {toy2d.BAND_STDS:g} noise standard deviations of {shape} (holds a fresh draw "
        f"with probability >= {share})"
    )


DATASET_INFO: dict[str, DatasetInfo] = {
    "checkerboard": DatasetInfo(
        _R2,
        "uniform on the 8 black cells of a 4x4 checkerboard on [-2, 2]^2",
        support=toy2d.checkerboard_support,
        support_note="exactly the 8 closed black cells of the board on [-2, 2]^2",
    ),
    "swissroll": DatasetInfo(
        _R2,
        "noisy 2-D spiral (swiss roll seen from above)",
        support=toy2d.swissroll_support,
        support_note=_band("the noiseless spiral"),
    ),
    "moons": DatasetInfo(
        _R2,
        "two interleaving noisy half circles",
        support=toy2d.moons_support,
        support_note=_band("the two noiseless half circles"),
    ),
    "8gaussians": DatasetInfo(
        _R2,
        "8 Gaussians (std 0.15) on a circle of radius 1.4",
        support=toy2d.eight_gaussians_support,
        support_note=_band("one of the 8 centres"),
    ),
    "circles": DatasetInfo(
        _R2,
        "two noisy concentric circles of radii 1 and 2",
        support=toy2d.circles_support,
        support_note=_band("the two noiseless circles"),
    ),
    "pinwheel": DatasetInfo(
        _R2,
        "5 curved Gaussian arms of a pinwheel",
        support=toy2d.pinwheel_support,
        support_note=_band(
            f"the 5 noiseless arms, radius 1 +- {toy2d.BAND_STDS:g} radial noise standard "
            "deviations",
            "0.99987",
        ),
    ),
}
"""The declared space, dtype, description and (where known) support of each named data set
(``dmm data`` lists them)."""


def register_dataset(
    name: str, fn: Sampler, info: DatasetInfo | None = None, *, overwrite: bool = False
) -> None:
    """Register a sampler under ``name`` so :func:`load_data` (and the CLI) can find it; ``info``
    declares what one draw is (the built-ins all declare it).

    Raises:
        ValueError: if ``name`` is empty or already registered and ``overwrite`` is false.
    """
    if not name or name != name.strip():
        raise ValueError(f"invalid data set name {name!r}")
    if name in BUILTIN_DATASETS and not overwrite:
        raise ValueError(f"data set {name!r} is already registered (pass overwrite=True)")
    BUILTIN_DATASETS[name] = fn
    if info is not None:
        DATASET_INFO[name] = info
    else:
        DATASET_INFO.pop(name, None)


def unseen(name: str) -> str:
    """The built-in whose draws a model trained on the built-in ``name`` never saw: its
    held-out set (:attr:`DatasetInfo.held_out`) for a finite set, else ``name`` itself."""
    info = DATASET_INFO.get(name)
    return info.held_out if info is not None and info.held_out else name


def load_data(spec: str, n: int, generator: torch.Generator) -> torch.Tensor:
    """Resolve a data spec: a registered name is sampled, anything else is read as a file.

    Args:
        spec: a name in :data:`BUILTIN_DATASETS` or a path to a ``.npy`` / ``.csv`` file.
        n: number of samples to draw from a named data set. A file is returned whole (all rows).
        generator: the source of randomness for named data sets.

    Returns:
        ``(n, *event_shape)`` samples for a name; for a file, a ``float32`` tensor (or ``long``
        when the file holds integers) with one row per sample.

    Raises:
        DataError: the spec is neither a registered name nor an existing file, or the file is
            invalid (see :func:`~dmm.data.files.load_array`).
    """
    if spec in BUILTIN_DATASETS:
        return BUILTIN_DATASETS[spec](n, generator)
    if not Path(spec).exists():
        names = ", ".join(sorted(BUILTIN_DATASETS))
        raise DataError(f"unknown data set or missing file '{spec}' (built-ins: {names})")
    array = load_array(spec)
    dtype = np.int64 if array.dtype.kind in "iu" else np.float32
    if array.dtype.kind == "f" and array.size:
        top, limit = float(np.abs(array).max()), float(np.finfo(np.float32).max)
        if top > limit:
            raise DataError(
                f"'{spec}' has values up to {top:.3g}, beyond float32's range ({limit:.3g}): "
                "rescale the data"
            )
    return torch.from_numpy(np.ascontiguousarray(array, dtype=dtype))
