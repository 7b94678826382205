"""``dmm sample``: draw samples from a trained run by simulating its backward process."""

from __future__ import annotations

import argparse
import csv
import os
import secrets
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ..data import DataError
from ..data.files import load_array, read_columns
from ..losses.observed import ObservedSubsets
from ..processes.base import MissingCapability
from ..reversal import Reversal
from ..samplers import (
    Inpaint,
    Sampler,
    denoise_nfe,
    edm_grid,
    fit_evaluations,
    fitted_grid,
    logsnr_grid,
    simulate,
    straight_grid,
    time_grid,
)
from ..spaces import SO3, Discrete
from ..spaces.base import SupportError
from .config import positive_whole, seed_argument
from .context import sample_rows
from .errors import UsageError
from .rundir import Run, load_run, sampler_for


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sample",
        help="write samples of a trained run to a .npy, .csv or .parquet file",
        description="Simulate the learned backward process of the run in DIR.",
    )
    p.add_argument("run_dir", metavar="DIR", help="run folder written by dmm train")
    p.add_argument("-n", type=int, help="number of samples (with --given: its rows)")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="output file: .npy (any shape), .csv or .parquet (one column per coordinate, "
        "named as in the training .csv)",
    )
    p.add_argument(
        "--given",
        metavar="PARTIAL",
        help="a .npy/.csv/.parquet file whose empty (NaN) cells are filled in given its other cells, one "
        "output row per row (inpainting)",
    )
    p.add_argument(
        "--context",
        metavar="FILE|V1,V2,...",
        help="for a conditional run: a .npy/.csv/.parquet file of context rows (one sample per row) or "
        "one context vector for all -n samples (one that starts with a minus sign: "
        "--context=-1,2)",
    )
    p.add_argument(
        "--draws",
        type=int,
        default=1,
        metavar="K",
        help="a table run with --given: fill each cell with the mean (numbers; whole numbers' "
        "rounded), the median (ordinals on listed levels) or the most frequent value "
        "(categories) of K draws instead of one draw",
    )
    p.add_argument(
        "--resample",
        type=int,
        default=1,
        metavar="U",
        help="with --given or --where: repeat each sampler step U times after a forward step "
        "back (RePaint), so that the cells to fill agree better with the given ones; U times the "
        "network evaluations (default 1)",
    )
    p.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="COLUMN=VALUE",
        help="a table run: sample rows with this cell fixed (repeatable; the other cells are "
        "drawn given it)",
    )
    add_sampling_options(p)
    p.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    p.add_argument(
        "--keep-nonfinite",
        action="store_true",
        help="write the samples even if some are not finite (otherwise an error, nothing written)",
    )
    p.set_defaults(func=run)


#: ``--grid``: the sampler's time grid at sampling time (``None``: fitted to the run's model)
SAMPLE_GRIDS: dict[str, Callable | None] = {
    "uniform": time_grid,
    "log-snr": logsnr_grid,
    "straight": straight_grid,
    "edm": edm_grid,
    "fitted": None,
}


def grid_name(sampler: Sampler, given: str | None) -> str:
    """The time grid a run of ``sampler`` takes, by its ``--grid`` name: ``given``, else the
    sampler's own (``uniform`` for a sampler without one; ``own`` for a grid of its kind)."""
    if given is not None:
        return given
    own = getattr(sampler, "grid", None)
    if own is None:
        plain = type(sampler).default_grid is Sampler.default_grid
        return "uniform" if plain else "own"
    return next((k for k, g in SAMPLE_GRIDS.items() if g is own), "own")


def add_sampling_options(p: argparse.ArgumentParser) -> None:
    """``--steps|--nfe --sampler --grid --seed --no-ema --denoise/--no-denoise --device --quiet``
    (shared by sample, eval and plot)."""
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--steps", type=int, help="sampler steps (default: the run's sample_steps)")
    budget.add_argument(
        "--nfe",
        type=positive_whole("--nfe"),
        metavar="N",
        help="network evaluations to spend instead of --steps: the most steps of the sampler "
        "whose evaluations, with the final denoising step's, are at most N",
    )
    p.add_argument("--sampler", help="sampler name (default: the run's sampler)")
    p.add_argument(
        "--grid",
        choices=tuple(SAMPLE_GRIDS),
        help="the sampler's time grid (default: the run's): uniform in time, in the log-SNR, in "
        "the straight path's time, EDM's rho = 7 grid (the last three for Gaussian kernels), or "
        "fitted: the grid that follows the run's own model best, fitted from pilot trajectories "
        "(deterministic one-step samplers; docs/euclidean.md)",
    )
    p.add_argument("--seed", type=seed_argument, default=0, help="sampling seed (default 0)")
    p.add_argument("--no-ema", action="store_true", help="use the raw weights instead of the EMA")
    p.add_argument(
        "--denoise",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="end with the process's denoising step (default: the run's setting, except after a "
        "deterministic sampler: ode-euler, ode-heun, dpm1, dpm2, unipc and straight-* end on t_min with no noise "
        "injected, and the step would cost one network evaluation for nothing)",
    )
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def sampling_setup(run: Run, args: argparse.Namespace) -> dict[str, Any]:
    """Sampler, steps, denoise and the run's network evaluations (``nfe``; ``None`` when the
    sampler's cost is random) from the run's config and the command line (``--nfe N``: the most
    steps whose evaluations, denoising included, are at most ``N``)."""
    name, sampler = sampler_for(run, args.sampler)
    default = bool(run.sample.get("denoise", False)) and not sampler.deterministic
    denoise = args.denoise if args.denoise is not None else default
    last = denoise_nfe(run.process) if denoise else 0  # the final denoising step's evaluations
    steps, budget = args.steps, getattr(args, "nfe", None)
    if budget is not None:
        try:
            steps = sampler.steps_for(budget - last)
        except ValueError as exc:
            spent = f", {last} of them for the denoising step" if last else ""
            raise UsageError(f"--nfe {budget}{spent}: {exc}") from None
    elif steps is None:
        value = run.sample.get("sample_steps", run.built.sample_steps)
        try:
            steps = int(value)
        except (TypeError, ValueError):
            raise UsageError(
                f"{run.dir / 'config.yaml'}: sample_steps must be an integer, got {value!r}"
            ) from None
    if steps < 1:
        raise UsageError(f"--steps must be positive, got {steps}")
    if denoise:
        run.process.require("denoiser", "--denoise")
    sampler.check(run.process)  # MissingCapability if it cannot simulate this process
    grid = sample_grid(run, sampler, steps, getattr(args, "grid", None), args.seed, name)
    nfe = sampler.nfe(steps)
    return {
        "sampler_name": name,
        "sampler": sampler,
        "steps": steps,
        "grid": grid,
        "denoise": denoise,
        "nfe": None if nfe is None else nfe + last,
        "fit_nfe": None if grid is None else fit_evaluations(sampler, steps),
    }


def sample_grid(
    run: Run, sampler: Sampler, steps: int, name: str | None, seed: int, sampler_name: str = ""
) -> Tensor | None:
    """``--grid name``: a named grid becomes ``sampler``'s own (``None`` returned: ``simulate``
    asks the sampler); ``fitted`` returns the grid :func:`~dmm.samplers.fitted_grid` fits to the
    run's model (pilots drawn with ``seed``). One line (:class:`UsageError`) where the grid does
    not fit the sampler, the process or the run."""
    if name is None:
        return None
    if SAMPLE_GRIDS[name] is not None:
        sampler.grid = SAMPLE_GRIDS[name]
        try:
            sampler.default_grid(run.process, steps)
        except (MissingCapability, ValueError) as exc:
            raise UsageError(f"--grid {name}: {exc}") from None
        return None
    if run.context is not None or isinstance(run.built.loss, ObservedSubsets):
        raise UsageError("--grid fitted is for unconditional runs (its pilots have no context)")
    device = next(run.model.parameters()).device
    generator = torch.Generator(device=device).manual_seed(seed)
    rev = Reversal(run.process, run.model)
    if not sampler.deterministic or sampler.multistep:
        kind = "multistep" if sampler.deterministic else "stochastic"
        able = _one_step_samplers(run)
        raise UsageError(
            f"--grid fitted needs a deterministic one-step sampler; {sampler_name or 'this one'}"
            f" is {kind} ("
            + (f"this run's: {', '.join(able)}" if able else "this run has none")
            + ")"
        )
    try:
        return fitted_grid(rev, sampler, steps, generator, device=device)
    except ValueError as exc:
        raise UsageError(f"--grid fitted: {exc}") from None


def _one_step_samplers(run: Run) -> list[str]:
    """The names of the run's deterministic one-step samplers (those a fitted grid fits)."""
    names = []
    for name in run.built.samplers:
        sampler = run.built.sampler(name)
        if sampler.deterministic and not sampler.multistep:
            try:
                sampler.check(run.process)
            except MissingCapability:
                continue
            names.append(name)
    return names


@dataclass(frozen=True)
class Given:
    """Cells to keep: ``observed`` (a boolean mask of the states' shape) and their ``values``;
    ``mode`` is :class:`~dmm.samplers.Inpaint`'s."""

    observed: Tensor
    values: Tensor
    mode: str
    #: the given cells in the data's coordinates (``values`` are in the model's)
    raw: Tensor
    #: RePaint's repeats of each step (:class:`~dmm.samplers.Inpaint`)
    resample: int = 1


def given_cells(run: Run, path: str, resample: int = 1) -> Given:
    """The cells of the file ``path`` (NaN or empty: to fill) checked against the run's space.

    Absorbing chains keep the observed cells clean (``clamp``: their unmasked cells are clean
    under the forward process); other processes need an exact forward transition, which resets
    the observed cells to a fresh draw of ``p_{t|0}(·|x_obs)`` after every step (``replace``, the
    replacement method). Other processes are refused with one line.
    """
    process = run.process
    if isinstance(process.space, Discrete) and process.space.mask:
        mode = "clamp"
    elif process.has_exact_transition:
        mode = "replace"
    else:
        raise UsageError(
            f"--given fills cells by the replacement method, which needs a process with an exact "
            f"forward transition; {run.spec.name} has none"
        )
    try:
        partial = torch.from_numpy(load_array(path, missing=True)).to(torch.float64)
    except DataError as exc:
        raise UsageError(f"--given: {exc}") from None
    partial = _by_name(partial, read_columns(path), run.config.get("columns"))
    shape = tuple(process.space.event_shape)
    if tuple(partial.shape[1:]) != shape:
        flat = int(np.prod(shape))
        if partial.ndim == 2 and partial.shape[1] == flat:
            partial = partial.reshape(len(partial), *shape)
        else:
            raise UsageError(
                f"--given rows have shape {tuple(partial.shape[1:])}, the run's states {shape}"
            )
    observed = ~torch.isnan(partial)
    if isinstance(process.space, SO3):  # a rotation's entries are not free coordinates
        flat = observed.reshape(len(observed), -1)
        some = (flat.any(1) & ~flat.all(1)).nonzero().flatten().tolist()
        if some:
            rows = ", ".join(map(str, some[:5])) + (", ..." if len(some) > 5 else "")
            raise UsageError(
                f"--given row(s) {rows} (counted from 0) give some of a rotation's 9 entries: "
                "SO(3) rows are kept or drawn whole (give all 9 entries, or none)"
            )
    example = run.data[:1].to(torch.float64).expand_as(partial)  # a valid value for every cell
    filled = torch.where(observed, partial, example)
    if not run.data.is_floating_point():
        if bool((filled != filled.round()).any()):
            raise UsageError("--given cells of a finite state space must be integers")
        filled = filled.round().long()
    else:
        filled = filled.to(run.data.dtype)
    values = run.built.encode(filled)  # the model's coordinates (a standardised run)
    try:
        process.space.validate(values)  # out-of-space cells: the rows named
    except SupportError as exc:  # the run's states are fixed: no advice on training's S
        reason = str(exc).split("; ")[0]
        raise UsageError(f"--given cells outside the run's states: {reason}") from None
    return Given(observed, values, mode, filled, resample)


def _by_name(partial: Tensor, header: list[str] | None, names: Any) -> Tensor:
    """``--given``'s columns in the run's order, matched by name where both the file and the
    run have a header (a header that names other columns is refused); by position otherwise."""
    if header is None or not isinstance(names, list) or partial.ndim != 2:
        return partial
    names = [str(n) for n in names]
    if header == names:
        return partial
    if sorted(header) != sorted(names) or len(set(names)) != len(names):
        raise UsageError(
            f"--given's header ({', '.join(header)}) does not name the run's columns "
            f"({', '.join(names)})"
        )
    return partial[:, [header.index(n) for n in names]]


def draw(
    run: Run,
    setup: dict[str, Any],
    n: int,
    seed: int,
    device: str = "cpu",
    callback=None,
    given: Given | None = None,
    context: Tensor | None = None,
) -> Tensor:
    """``n`` samples of the run's model with the sampling ``setup``; with ``given``, one per
    row of it, its observed cells kept (inpainting); ``context``: the raw context rows of a
    conditional run, one per sample."""
    if n < 1:
        raise UsageError(f"-n must be positive, got {n}")
    g = torch.Generator(device=device).manual_seed(seed)
    spec = run.context
    if (spec is None) != (context is None):
        raise UsageError("a conditional run samples with a context, an unconditional one without")
    encoded = None if spec is None or context is None else spec.encode(context).to(device)
    if isinstance(run.built.loss, ObservedSubsets):  # the network sees the given cells too
        rows = torch.zeros(n, 1, device=device) if given is None else given.values.to(device)
        shown = None if given is None else given.observed.to(device)
        encoded = run.built.loss.context(rows, shown, encoded)
    rev = Reversal(run.process, run.model, encoded)
    sampler, y_init = setup["sampler"], None
    if given is not None:
        observed, values = given.observed.to(device), given.values.to(device)
        sampler = Inpaint(sampler, observed, values, given.mode, given.resample)
        y_init = sampler.initial(run.process, n, g).to(device)
    y = simulate(
        rev,
        sampler,
        n,
        setup["steps"],
        g,
        y_init=y_init,
        grid=setup.get("grid"),
        denoise=setup["denoise"],
        callback=callback,
        device=device,
    )
    y = run.built.decode(y)  # the data's own coordinates (a standardised run's map inverted)
    if given is not None:  # the final denoising step may move them: the observed cells exactly
        y = torch.where(observed, given.raw.to(device=y.device, dtype=y.dtype), y)
    return y


#: the output formats of ``dmm sample``, by suffix
FORMATS = (".npy", ".csv", ".parquet")

Callback = Callable[[int, Tensor, Tensor], None]


def show_progress(args: argparse.Namespace) -> bool:
    """A progress bar unless ``--quiet`` or stderr is not a terminal."""
    return not getattr(args, "quiet", False) and sys.stderr.isatty()


@contextmanager
def progress(
    args: argparse.Namespace, total: int, desc: str, then: Callback | None = None
) -> Iterator[Callback | None]:
    """A ``callback(k, t, y)`` for :func:`~dmm.samplers.simulate` that advances a progress bar
    (with ETA, on stderr) of ``total`` steps and then calls ``then``; just ``then`` when
    :func:`show_progress` says no or tqdm (the ``cli`` extra) is not installed."""
    try:
        from tqdm import tqdm
    except ImportError:
        tqdm = None
    if tqdm is None or not show_progress(args):
        yield then
        return
    bar = tqdm(
        total=total, desc=desc, unit="step", file=sys.stderr, leave=False, dynamic_ncols=True
    )

    def step(k: int, t: Tensor, y: Tensor) -> None:
        bar.update(1)
        if then is not None:
            then(k, t, y)

    try:
        yield step
    finally:
        bar.close()


def check_output(out: Path, force: bool) -> None:
    """Refuse an unknown suffix, a folder, an existing file (unless ``force``), a missing folder
    and ``.parquet`` without pyarrow, before anything is sampled."""
    if out.suffix.lower() not in FORMATS:
        raise UsageError(f"output must be a .npy, .csv or .parquet file, got '{out}'")
    if out.is_dir():
        raise UsageError(f"output '{out}' is a folder, not a file")
    if out.exists() and not force:
        raise UsageError(f"'{out}' already exists; use --force to overwrite it")
    if not out.parent.is_dir():
        raise UsageError(f"output folder '{out.parent}' does not exist")
    if out.suffix.lower() == ".parquet":
        _parquet()
    if not os.access(out.parent, os.W_OK | os.X_OK):  # what access(2) cannot see (e.g. /proc
        raise UsageError(f"cannot write to '{out.parent}'")  # for root) fails at the write


def require_finite(y: Tensor, keep: bool = False) -> str:
    """:class:`UsageError` if some samples are not finite (unless ``keep``: then a warning to
    print)."""
    if not y.is_floating_point():
        return ""
    bad = int((~torch.isfinite(y.reshape(len(y), -1))).any(dim=1).sum())
    if not bad:
        return ""
    if keep:
        return f" (WARNING: {bad} samples are not finite)"
    raise UsageError(
        f"{bad} of {len(y)} samples are not finite: the model or the sampler diverged (try more "
        "--steps, another --sampler, or retrain with a smaller lr); --keep-nonfinite writes them"
    )


def beyond_training_contexts(run: Run, context: Tensor) -> None:
    """A note on stderr where ``context`` (raw rows) leaves the range of the training rows'
    contexts in some column: there the model extrapolates (samples for a context of 50 where
    the training contexts ran from 0 to 2 came out at 1e12, without a word)."""
    trained = run.context_rows()
    low, high = trained.min(0).values, trained.max(0).values
    # float32's rounding: context.npy holds 0.1 as 0.1000000015
    slack = 1e-6 * torch.maximum(low.abs(), high.abs()).clamp(min=1.0)
    out = (context < low - slack) | (context > high + slack)
    if not out.any():
        return
    names = run.context.source.get("names") or run.context.source.get("columns") or []
    columns = []
    for j in torch.nonzero(out.any(0)).flatten().tolist():
        name = f"'{names[j]}'" if j < len(names) else f"column {j}"
        columns.append(f"{name} (training contexts {float(low[j]):.4g} to {float(high[j]):.4g})")
    print(
        f"note: {int(out.any(1).sum())} of the {len(context)} context rows lie beyond the "
        f"training contexts in {', '.join(columns)}: the model extrapolates there",
        file=sys.stderr,
        flush=True,
    )


def _parquet():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise UsageError("writing .parquet needs pyarrow: pip install pyarrow") from None
    return pa, pq


def column_names(run: Run, width: int) -> list[str]:
    """The run's training ``.csv`` header when it has ``width`` names, else ``x0, x1, ...``."""
    names = run.config.get("columns")
    if isinstance(names, list) and len(names) == width:
        return [str(name) for name in names]
    return [f"x{i}" for i in range(width)]


def write_samples(
    array: np.ndarray, out: Path, names: list[str], integer: Sequence[bool] = ()
) -> None:
    """Write ``array`` to ``out`` atomically: a temporary file with a unique name in the same
    folder, renamed over ``out``; removed if anything fails. ``.csv`` and ``.parquet`` hold
    one column per flattened coordinate (``names``), integers as integers: an integer array's
    columns, and those ``integer`` flags (a product's discrete factors, stored as floats)."""
    writer = {".npy": _write_npy, ".csv": _write_csv, ".parquet": _write_parquet}
    tmp = out.with_name(f".{out.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")  # unique
    try:
        writer[out.suffix.lower()](tmp, array, names, tuple(integer))
        os.replace(tmp, out)
    except OSError as exc:
        raise UsageError(f"cannot write '{out}': {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)


def _columns(array: np.ndarray, integer: tuple[bool, ...]) -> list[np.ndarray]:
    """The flattened columns of ``array``, those flagged ``integer`` as int64 (unless a sample
    kept with ``--keep-nonfinite`` leaves one non-finite)."""
    table = array.reshape(len(array), -1)
    whole = [i < len(integer) and integer[i] for i in range(table.shape[1])]
    return [
        np.rint(table[:, i]).astype(np.int64)
        if whole[i] and np.isfinite(table[:, i]).all()
        else table[:, i]
        for i in range(table.shape[1])
    ]


def _write_npy(path: Path, array: np.ndarray, names: list[str], integer: tuple[bool, ...]) -> None:
    with path.open("xb") as handle:
        np.save(handle, array)


def _write_csv(path: Path, array: np.ndarray, names: list[str], integer: tuple[bool, ...]) -> None:
    # integers as integers; floats in the shortest text that reads back the same value in their
    # own precision (0.2 in float32 is written 0.2, not 0.200000003)
    columns = [column.astype(str) for column in _columns(array, integer)]
    table = np.stack(columns, 1) if columns else np.empty((len(array), 0), str)
    with path.open("x", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(names)
        writer.writerows(table.tolist())


def _write_parquet(
    path: Path, array: np.ndarray, names: list[str], integer: tuple[bool, ...]
) -> None:
    pa, pq = _parquet()
    columns = [pa.array(np.ascontiguousarray(c)) for c in _columns(array, integer)]
    pq.write_table(pa.table(columns, names=names), str(path))


def run(args: argparse.Namespace) -> int:
    out = Path(args.output)
    check_output(out, args.force)
    run_ = load_run(args.run_dir, ema=not args.no_ema, device=args.device)
    setup = sampling_setup(run_, args)
    from .tables import is_table_run

    if is_table_run(run_):
        return _run_table(args, run_, setup, out)
    if args.where or args.draws != 1:
        raise UsageError(
            f"{'--where' if args.where else '--draws'} is for table runs "
            "(dmm train --process tabular)"
        )
    resample = _resample(args, args.given is not None)
    given = given_cells(run_, args.given, resample) if args.given is not None else None
    n = args.n if given is None else len(given.values)
    if given is not None and args.n is not None and args.n != n:
        raise UsageError(f"-n {args.n} differs from the {n} rows of --given (leave -n out)")
    context = sample_rows(run_.context, args.context, n)
    if context is not None:
        beyond_training_contexts(run_, context)
    n = len(context) if context is not None else n
    if n is None:
        raise UsageError("-n is required (the number of samples), or --given PARTIAL")
    with progress(args, setup["steps"], "sampling") as callback:
        y = draw(run_, setup, n, args.seed, args.device, callback, given, context)
    extra = require_finite(y, args.keep_nonfinite)
    array = y.cpu().numpy()
    if not y.is_floating_point():
        array = array.astype(np.int64)
    width = int(np.prod(array.shape[1:]))
    names = column_names(run_, width)
    header = read_columns(args.given) if args.given is not None else None
    if header is not None and len(header) == width and run_.config.get("columns") is None:
        names = header  # a run trained without a header: --given's own names its cells
    write_samples(array, out, names, run_.process.space.integer_coordinates)
    outside = run_.process.space.outside(run_.built.encode(y))  # in the model's coordinates
    if not extra and bool(outside.any()):
        extra = f" ({int(outside.sum())} outside the state space)"
    print(
        f"wrote {n} samples of shape {tuple(y.shape[1:])} to {out} "
        f"({setup['sampler_name']}, {setup['steps']} steps"
        f"{' on the fitted grid' if setup['grid'] is not None else ''}"
        f"{', denoised' if setup['denoise'] else ''}"
        f"{f', each step {resample} times' if resample > 1 else ''}, "
        f"{_nfe_text(setup, resample)}{_fit_text(setup)})"
        f"{extra}"
    )
    return 0


def _resample(args: argparse.Namespace, conditional: bool) -> int:
    """``--resample U``, checked: at least 1, and more only where cells are given."""
    if args.resample < 1:
        raise UsageError(f"--resample must be at least 1, got {args.resample}")
    if args.resample > 1 and not conditional:
        raise UsageError("--resample U repeats the steps of --given or --where sampling")
    return args.resample


def _fit_text(setup: dict[str, Any]) -> str:
    """What fitting the grid cost (``--grid fitted``: a one-off beside the samples'), or
    nothing."""
    if setup.get("fit_nfe") is None:
        return ""
    return f"; fitting the grid: {setup['fit_nfe']:,} evaluations of one row each"


def _nfe_text(setup: dict[str, Any], resample: int) -> str:
    """The network evaluations of one sampler call: the setup's, with each step repeated
    ``resample`` times (the final denoising evaluation is not repeated)."""
    if setup["nfe"] is None:  # thinning's is random; a sampler may declare no nfe_per_step
        return "network evaluations not counted (the sampler fixes no nfe_per_step)"
    per_step = setup["sampler"].nfe_per_step or 0
    return f"{setup['nfe'] + (resample - 1) * setup['steps'] * per_step} network evaluations"


def _run_table(args: argparse.Namespace, run: Run, setup: dict[str, Any], out: Path) -> int:
    """``dmm sample`` of a table run: a table with the training table's header, column order and
    value types; ``--given`` fills the empty cells of a table, ``--where`` fixes columns."""
    from ..tabular.io import TABLE_FORMATS, with_dtypes, write_table
    from .tables import (
        codec_of,
        combine_draws,
        draw_fillings,
        draw_table,
        filled_in,
        filling_calls,
        load_source,
        markers_in_numbers,
        where_frame,
    )

    if out.suffix.lower() not in TABLE_FORMATS:
        raise UsageError(f"a table run writes .csv or .parquet, not '{out.suffix or out.name}'")
    if args.context is not None:
        raise UsageError("a table run has no --context: fix columns with --where COLUMN=VALUE")
    if args.given is not None and args.where:
        raise UsageError("give either --given (cells to keep) or --where, not both")
    partial, fill = None, True
    if args.given is not None:
        partial = markers_in_numbers(codec_of(run).schema, load_source(args.given))
        if args.n is not None and args.n != len(partial):
            raise UsageError(
                f"-n {args.n} differs from the {len(partial)} rows of --given (leave -n out)"
            )
    elif args.where:
        if args.n is None:
            raise UsageError("-n is required (the number of samples)")
        partial, fill = where_frame(run, args.where, args.n), False
    elif args.n is None:
        raise UsageError("-n is required (the number of samples), or --given PARTIAL")
    n = len(partial) if partial is not None else args.n
    if n < 1:
        raise UsageError(f"-n must be positive, got {n}")
    if args.draws < 1 or (args.draws > 1 and args.given is None):
        raise UsageError("--draws K (K >= 1) combines K fillings of --given PARTIAL")
    resample = _resample(args, partial is not None)
    if partial is not None and fill:  # the fillings' rows stacked into as few calls as fit
        total = setup["steps"] * filling_calls(n, args.draws)
        with progress(args, total, "sampling") as callback:
            frames = draw_fillings(
                run, setup, partial, args.draws, args.seed, args.device, callback, resample
            )
    else:
        with progress(args, setup["steps"], "sampling") as callback:
            frames = [
                draw_table(run, setup, n, args.seed, args.device, callback, partial, fill, resample)
            ]
    frame = frames[0] if len(frames) == 1 else combine_draws(codec_of(run), frames)
    if args.given is not None:  # its other columns kept, in its order
        frame = filled_in(partial, frame)
    # a TabularModel's run: the fitted frame's dtypes, as its sample gives (float32 digits)
    write_table(with_dtypes(frame, run.config.get("dtypes")), out)
    what = "rows" if partial is None else ("filled rows" if fill else "conditional rows")
    print(
        f"wrote {n} {what} of {frame.shape[1]} columns to {out} ({setup['sampler_name']}, "
        f"{setup['steps']} steps{', denoised' if setup['denoise'] else ''}"
        f"{f', each step {resample} times' if resample > 1 else ''}, "
        f"{_nfe_text(setup, resample)}"
        + (f" per draw, {args.draws} draws combined" if args.draws > 1 else "")
        + f"{_fit_text(setup)})"
    )
    return 0
