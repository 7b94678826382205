"""One function from a configuration to objects: ``build(name, data, params)`` gives the process,
the validated data, the model, the loss and the samplers, for the command line, the demo panels
and the benchmarks alike."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
from torch import Tensor, nn

from ...losses import Loss
from ...networks.mlp import FourierFeatures
from ...processes import Process
from ...samplers import Sampler
from ...spaces import Euclidean, PositiveOrthant, SupportError, Torus
from ...spaces.base import _row_list
from ...spaces.torus import wrap
from ..errors import USER_ERRORS, UsageError
from ..scaling import ColumnScaling
from .spec import PROCESSES, Entry
from .tabular import NAME as TABULAR
from .tabular import TabularEntry

E = TypeVar("E", bound=Exception)


@dataclass
class Built:
    """A process with its model (untrained), loss and samplers, made from one configuration.

    ``params`` are the entry's parameters after the overrides, with the values chosen for
    "choose for me" parameters (``S=0``, ``network=auto``); ``data`` the training data after
    the state space's validation (a space may map data into itself, e.g. a wrapping torus);
    ``samplers`` maps names to zero-argument factories.
    """

    spec: Entry
    params: dict[str, Any]
    process: Process
    data: Tensor
    model: nn.Module
    loss: Loss
    samplers: Mapping[str, Callable[[], Sampler]]
    default_sampler: str
    sample_steps: int
    denoise: bool
    notes: tuple[str, ...] = ()
    #: the affine map from the data's coordinates to the model's (``standardise=true``)
    scaling: ColumnScaling | None = None
    #: a wrapping torus whose data are angles in ``[0, 2π)``: samples are given in that range
    #: (the model's angles are in ``[-π, π)``)
    from_zero: bool = False

    def encode(self, x: Tensor) -> Tensor:
        """Data-space rows in the model's coordinates (``data`` is already encoded)."""
        if self.from_zero:
            return wrap(x)
        return x if self.scaling is None else self.scaling.encode(x)

    def decode(self, y: Tensor) -> Tensor:
        """Model-space rows (samples) back in the data's coordinates."""
        if self.from_zero:
            return torch.remainder(y, 2 * math.pi)
        return y if self.scaling is None else self.scaling.decode(y)

    def sampler(self, name: str | None = None) -> Sampler:
        """A new sampler ``name`` (default: the entry's); :class:`UsageError` listing the known
        names otherwise."""
        name = name or self.default_sampler
        if name not in self.samplers:
            raise UsageError(
                f"unknown sampler '{name}' for process '{self.spec.name}' "
                f"(known: {', '.join(self.samplers)})"
            )
        return self.samplers[name]()


def get_process(name: str) -> Entry:
    """The catalogue entry ``name``, or a user's process for ``FILE.py:NAME`` /
    ``package.module:NAME`` (:func:`~dmm.cli.catalog.user.load_user_process`); :class:`UsageError`
    listing the known names otherwise."""
    name = str(name)
    if ":" in name:
        from .user import load_user_process

        return load_user_process(name)
    if name == TABULAR:
        return TabularEntry()
    if name not in PROCESSES:
        raise UsageError(
            f"unknown process '{name}' (known: {', '.join(sorted([*PROCESSES, TABULAR]))}; or "
            f"your own: "
            f"FILE.py:NAME or package.module:NAME)"
        )
    return PROCESSES[name]


def build(
    spec: str | Entry,
    data: Tensor,
    params: Mapping[str, Any] | None = None,
    context_dim: int = 0,
    seed: int | None = None,
    scaling: ColumnScaling | None = None,
    fit: Tensor | None = None,
) -> Built:
    """Process, validated data, model, loss and samplers for ``spec`` (a name or an entry) on the
    training data ``data``, with ``params`` overriding the entry's defaults.

    ``fit`` (row indices; default every row) names the rows the process is made from: its
    standardisation, what a factory reads from the data, a simulated reference and the model's
    calibration. A run that holds rows out for evaluation gives its training rows, so that
    nothing the backward process starts from has seen the held-out rows; every row of ``data``
    is still validated and returned (``Built.data``). Where a held-out row lies outside the
    state space the training rows give (a chain's ``S=0`` reads the number of states from the
    largest value), the factory reads every row, so that the space holds them all; and a
    factory that fails on the training rows is called once more on every row, so that its error
    names the file's rows (a factory of your own runs twice then).

    With ``seed`` the model's initial weights (and anything else the entry draws) come from
    ``torch.manual_seed(seed)`` without touching the global generator; without it, from the
    global generator. Bad parameters raise :class:`UsageError` (one line, naming the process),
    data outside the state space a :class:`~dmm.spaces.SupportError` naming the rows.

    An entry with ``standardise=true`` trains on ``(x - mean) / std`` per coordinate (or the map
    of the entry's :meth:`~.spec.Entry.scaling`): ``scaling`` (a run's recorded map) or one
    fitted to ``data``; ``Built.decode`` maps samples back.
    """
    entry = get_process(spec) if isinstance(spec, str) else spec
    values = entry.with_params(params or {})
    rows = (lambda x: x) if fit is None else (lambda x: x[fit])  # noqa: E731
    raw = data
    if values.get("standardise", False):
        if scaling is None:
            try:
                scaling = entry.scaling(rows(data), values)
            except (TypeError, ValueError, KeyError) as exc:
                raise UsageError(
                    f"cannot standardise the data for process '{entry.name}': {_line(exc)}"
                ) from None
        if len(scaling.mean) != data[0].numel():
            raise UsageError(
                f"data rows have {data[0].numel()} coordinates, the run's standardisation "
                f"{len(scaling.mean)}"
            )
        notes = _constant_coordinates(rows(data), True)
        data = scaling.encode(data)
    else:
        scaling, notes = None, []

    def made(x: Tensor) -> Process:
        try:
            return entry.make(x, values)
        except SupportError as exc:  # a factory that reads the data checks them first
            raise _hinted(entry, _of_every_row(entry, values, data, exc), data, True) from None
        except USER_ERRORS as exc:  # a user's factory's error (rows numbered as the file's)
            if x is data:
                raise
            raise _of_every_row(entry, values, data, exc) from None
        except (TypeError, ValueError, KeyError) as exc:
            raise UsageError(f"cannot build process '{entry.name}': {_line(exc)}") from None

    with _seeded(seed):
        process = made(rows(data))
        if fit is not None and not _holds(process, data):
            process = made(data)  # a held-out row outside the space the training rows give
        valid = _validate(entry, process, data)
        _require_trainable_size(process, valid, scaling is not None)
        if scaling is None and isinstance(process.space, (Euclidean, PositiveOrthant, Torus)):
            notes = _constant_coordinates(rows(valid), False)  # coordinates of the space
        notes = [*notes, *_many_turns(process, data), *_whole_numbers(process, rows(raw))]
        try:
            parts = entry.parts(process, rows(valid), values, context_dim)
        except USER_ERRORS:
            raise
        except (TypeError, ValueError, KeyError) as exc:
            raise UsageError(
                f"invalid parameter for process '{entry.name}': {_line(exc)}"
            ) from None
        for factory in parts.samplers.values():  # a sampler's parameters are checked now, not
            try:  # when dmm sample first builds it
                factory()
            except (TypeError, ValueError) as exc:
                raise UsageError(
                    f"invalid parameter for process '{entry.name}': {_line(exc)}"
                ) from None
    return Built(
        entry,
        {**values, **parts.resolved},
        parts.process,
        valid,
        parts.model,
        parts.loss,
        parts.samplers,
        parts.default_sampler,
        parts.sample_steps,
        parts.denoise,
        (*notes, *parts.notes),
        scaling,
        _from_zero(parts.process, rows(raw)),
    )


def check_new_run(spec: Entry, params: Mapping[str, Any]) -> None:
    """:class:`UsageError` for a parameter of a run about to be trained beyond its bound: the
    entry's :attr:`~.spec.Entry.limits` and, for a network with Fourier features,
    :attr:`FourierFeatures.MAX <dmm.networks.mlp.FourierFeatures.MAX>`. Checked when a run is
    trained, not when one is loaded: a run recorded before a bound existed still samples."""
    values = spec.with_params(params)
    limits = dict(spec.limits)
    if "fourier" in values:
        limits.setdefault(
            "fourier",
            (
                FourierFeatures.MAX,
                "from 2^20 on, float32 rounding of an input of size 1 turns the phase of "
                "sin(pi 2^k x) by more than pi/16: noise, not an edge",
            ),
        )
    for key, (high, why) in limits.items():
        value = values.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > high:
            raise UsageError(f"{key}={value:g}: at most {high:g} for process '{spec.name}': {why}")


def _constant_coordinates(data: Tensor, standardised: bool) -> list[str]:
    """A note naming the coordinates that take one value in every row: samples spread about
    that value by the model's error (and standardising cannot scale them)."""
    flat = data.reshape(len(data), -1)
    if len(flat) < 2 or not flat.is_floating_point() or not torch.isfinite(flat).all():
        return []
    same = (flat == flat[:1]).all(dim=0)
    if not same.any():
        return []
    cols = torch.nonzero(same).flatten().tolist()
    values = ", ".join(f"{k} = {flat[0, k].item():g}" for k in cols[:5])
    why = "standardising cannot scale them and " if standardised else ""
    return [
        f"coordinate(s) {values}{' ...' if len(cols) > 5 else ''} in every row (0-based): "
        f"{why}samples spread about the value by the model's error (a classifier tells them "
        "apart by it); leave such columns out"
    ]


def _whole_numbers(process: Process, data: Tensor) -> list[str]:
    """A note naming the columns of whole numbers (more than two values) that a process on
    ``R^d`` or the orthant models as reals: its samples there are not whole numbers (a column
    of counts came back as 5.3894753)."""
    if not isinstance(process.space, (Euclidean, PositiveOrthant)) or data.dim() != 2:
        return []
    values = data if data.is_floating_point() else data.double()
    if not torch.isfinite(values).all():
        return []
    # (from 2^22 on, every float32 is a whole number: no sign of integer data)
    whole = (values == values.round()).all(dim=0) & (values.abs() < 2**22).all(dim=0)
    cols = [k for k in torch.nonzero(whole).flatten().tolist() if len(values[:, k].unique()) > 2]
    if not cols:
        return []
    shown = ", ".join(map(str, cols[:5])) + (" ..." if len(cols) > 5 else "")
    return [
        f"column(s) {shown} hold whole numbers only (0-based): this process draws reals there "
        "(states of a finite set: a chain process, see dmm processes; a .csv table of mixed "
        "columns: --process tabular, which writes integers)"
    ]


def _from_zero(process: Process, data: Tensor) -> bool:
    """Whether a wrapping torus's training rows are angles in ``[0, 2π)`` (all in it, some
    beyond π): their samples then come back in that range, as the data write angles (they
    came back in ``[-π, π)``, and a filled row mixed both)."""
    space = process.space
    if not (isinstance(space, Torus) and space.wrap_data) or not data.is_floating_point():
        return False
    return bool((data >= 0).all() and (data < 2 * math.pi).all() and (data > math.pi).any())


def _many_turns(process: Process, data: Tensor) -> list[str]:
    """A note where a wrapping torus's data reach beyond two turns: angles are read in radians,
    and values such as degrees (up to 180 or 360) wrap many times over without a word."""
    space = process.space
    if not (isinstance(space, Torus) and space.wrap_data) or not data.is_floating_point():
        return []
    largest = float(data.abs().max()) if data.numel() else 0.0
    if not largest > 4 * math.pi:
        return []
    return [
        f"angles up to {largest:g} in absolute value: wrap=true reads radians, so these wrap "
        f"{largest / (2 * math.pi):.0f} times around; degrees? give x·π/180"
    ]


def _validate(entry: Entry, process: Process, data: Tensor) -> Tensor:
    """``process.space.validate(data)`` (a :class:`SupportError` names the rows); when the data
    have the right shape and finite values but lie outside the space, the error ends with the
    entry's ``data_hint`` (what to do instead)."""
    try:
        return process.space.validate(data)
    except SupportError as exc:
        shaped = tuple(data.shape[1:]) == tuple(process.space.event_shape)
        raise _hinted(entry, exc, data, shaped) from None


#: the largest ``|coordinate|`` a run on ``R^d`` trains on (after its standardisation, if any):
#: the losses square coordinates, and float32's squares overflow from about 1.8e19
MAX_COORDINATE = 1e15


def _require_trainable_size(process: Process, data: Tensor, standardised: bool) -> None:
    """A :class:`SupportError` naming the rows of ``data`` on ``R^d`` with a coordinate beyond
    :data:`MAX_COORDINATE` in float32 (a loss of NaN at the first step, otherwise)."""
    if not isinstance(process.space, Euclidean) or data.dtype != torch.float32:
        return
    big = (data.reshape(len(data), -1).abs() > MAX_COORDINATE).any(dim=1)
    if big.any():
        where = " after the run's standardisation" if standardised else ""
        raise SupportError(
            f"data with coordinates beyond {MAX_COORDINATE:.0e} in absolute value{where} in "
            f"{_row_list(big)}: their squares overflow float32; rescale the data or leave "
            "those rows out"
        )


def _holds(process: Process, data: Tensor) -> bool:
    """Whether every row of ``data`` lies in ``process``'s state space."""
    try:
        process.space.validate(data)
    except SupportError:
        return False
    return True


def _of_every_row(entry: Entry, values: Mapping[str, Any], data: Tensor, exc: E) -> E:
    """The factory's error on every row of ``data``, whose row numbers are the file's (``exc``
    came from the rows it is fitted to, numbered among them); ``exc`` itself where every row
    raises no error of its kind."""
    try:
        entry.make(data, values)
    except type(exc) as every:
        return every
    except Exception:  # noqa: BLE001 - the first error stands
        return exc
    return exc


def _hinted(entry: Entry, exc: SupportError, data: Tensor, shaped: bool) -> SupportError:
    """``exc``, ending with the entry's ``data_hint`` when the data have the right shape and
    finite values (then they lie outside the space, and the hint says what to do instead)."""
    finite = not data.is_floating_point() or bool(torch.isfinite(data).all())
    if not (entry.data_hint and shaped and finite):
        return exc
    return SupportError(f"{_line(exc)}; {entry.data_hint}")


@contextlib.contextmanager
def _seeded(seed: int | None) -> Iterator[None]:
    if seed is None:
        yield
        return
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def _line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
