"""A run folder: what ``dmm train`` writes and every other command reads back.

Files: ``config.yaml`` (everything used: process name, parameters, data spec, training and
sampling settings), ``data.npy`` (the training data, so that a process built from moments of the
data is rebuilt the same), ``checkpoint.pt``, ``log.jsonl``, ``loss.png``, and later
``samples.png``, ``backward.gif``, ``eval.json``. A user's own process (``--process FILE.py:NAME``)
also leaves ``process.py``, a copy of its file, with the copy's hash in ``config.yaml``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from torch import Tensor, nn

from ..data import DataError, load_data
from ..processes import Process
from ..samplers import Sampler
from ..training import CHECKPOINT, LOG, CheckpointError, load_checkpoint
from .catalog import Built, Entry, UserProcess, build, get_process, load_user_process
from .catalog.tabular import NAME as TABULAR
from .catalog.tabular import TabularEntry
from .catalog.user import is_user_source
from .context import CONTEXT, Context
from .errors import UsageError
from .scaling import ColumnScaling

CONFIG = "config.yaml"
DATA = "data.npy"
LOSS_PLOT = "loss.png"
SAMPLES_PLOT = "samples.png"
GIF = "backward.gif"
EVAL = "eval.json"
#: the copy of a user's process file
PROCESS_COPY = "process.py"
#: a table run's schema (also in ``config.yaml``, with the encoding's statistics)
SCHEMA = "schema.yaml"
#: what ``dmm eval`` and ``dmm plot`` write from a checkpoint (a resumed run removes them: they
#: describe an earlier step)
DERIVED_FILES = (
    SAMPLES_PLOT,
    GIF,
    EVAL,
    "eval.md",
    "marginals.png",
    "correlation.png",
    "scatter.png",
)
#: every file a run folder may hold (``--force`` removes exactly these)
RUN_FILES = (
    CONFIG,
    DATA,
    CONTEXT,
    CHECKPOINT,
    LOG,
    LOSS_PLOT,
    PROCESS_COPY,
    SCHEMA,
    *DERIVED_FILES,
)
MAX_DATA_BYTES = 50 * 2**20
#: the share of a data file's rows kept out of training for validation and ``dmm eval``
HOLDOUT = 0.1
_HOLDOUT_SEED_OFFSET = 7_919


def split_rows(n: int, fraction: float, seed: int) -> tuple[Tensor, Tensor]:
    """``(train, heldout)`` row indices of ``n`` rows, each in increasing order: a random share
    ``fraction`` held out, chosen by ``seed``; none when that is under 2 rows or would leave
    fewer than 2 to train on."""
    k = int(n * fraction)
    if k < 2 or n - k < 2:
        return torch.arange(n), torch.arange(0)
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed + _HOLDOUT_SEED_OFFSET))
    return perm[k:].sort().values, perm[:k].sort().values


#: ``holdout.fit`` of a run whose process was made from its training rows only (runs from before
#: 2026-12-06 made it from every row of data.npy, held-out rows included, and are rebuilt so)
FIT_TRAINING = "training rows"


def fit_rows(config: Mapping[str, Any], n: int) -> Tensor | None:
    """The rows of a run's ``data.npy`` (``n`` of them) its process is made from
    (:func:`~dmm.cli.catalog.build`'s ``fit``): the training rows where the run recorded so,
    ``None`` (every row) otherwise, and for a run that stored a subset of a large file."""
    holdout = config.get("holdout") or {}
    if holdout.get("fit") != FIT_TRAINING or config.get("data_subset", False):
        return None  # every row (a subset of a large file is drawn from its training rows)
    keep, _ = split_rows(n, float(holdout["fraction"]), int(config["seed"]))
    return keep


def read_data(spec: str, n: int, seed: int) -> Tensor:
    """A built-in data set (``n`` draws with ``seed``) or a ``.npy``/``.csv`` file (all rows)."""
    if n <= 0:
        raise UsageError(f"--n-data must be positive, got {n}")
    try:
        return load_data(str(spec), n, torch.Generator().manual_seed(seed))
    except ValueError as exc:  # DataError or a data set's own argument check
        raise DataError(" ".join(str(exc).split())) from None


def save_data(data: Tensor, run_dir: Path, seed: int, pool: Tensor | None = None) -> bool:
    """Write ``data.npy`` (all rows, or a random subset under 50 MB, drawn from the rows ``pool``
    names: a run's training rows, so that a run rebuilt from the subset is made from training rows
    only); ``True`` if subsampled."""
    array = data.cpu().numpy()
    subset = array.nbytes > MAX_DATA_BYTES
    if subset:
        if pool is not None:
            array = array[pool.cpu().numpy()]
        keep = min(len(array), max(1, int(len(data) * MAX_DATA_BYTES / data.cpu().numpy().nbytes)))
        rows = np.random.default_rng(seed).choice(len(array), keep, replace=False)
        array = array[np.sort(rows)]
    tmp = run_dir / (DATA + ".tmp")
    with open(tmp, "wb") as fh:  # a handle: np.save would append ".npy" to the name
        np.save(fh, array)
    os.replace(tmp, run_dir / DATA)
    return subset


def absolute_files(spec: Entry, params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with each file parameter of ``spec`` (:attr:`Entry.files`) given as an
    absolute path, so that ``config.yaml`` names it from any folder."""
    return {
        k: str(Path(v).expanduser().resolve()) if k in spec.files and v else v
        for k, v in params.items()
    }


def save_file_copies(spec: Entry, params: Mapping[str, Any], run_dir: Path) -> None:
    """Copy each file a new run's process was built from into the run folder, under the name
    :attr:`Entry.files` gives it: sampling and evaluating read the copy, not the original."""
    for key, copy in spec.files.items():
        if params.get(key):
            tmp = run_dir / (copy + ".tmp")
            tmp.write_bytes(Path(params[key]).read_bytes())
            os.replace(tmp, run_dir / copy)


def with_file_copies(spec: Entry, params: Mapping[str, Any], run_dir: Path) -> dict[str, Any]:
    """``params`` with each file parameter naming the run folder's copy where it has one (a run
    from before the copies reads the original)."""
    return {
        k: str(run_dir / spec.files[k])
        if k in spec.files and (run_dir / spec.files[k]).is_file()
        else v
        for k, v in params.items()
    }


def save_context(rows: Tensor, run_dir: Path) -> None:
    """Write ``context.npy``: the raw context rows of a conditional run (one per data row)."""
    tmp = run_dir / (CONTEXT + ".tmp")
    with open(tmp, "wb") as fh:
        np.save(fh, rows.cpu().numpy())
    os.replace(tmp, run_dir / CONTEXT)


def write_yaml(obj: Mapping[str, Any], path: Path) -> None:
    """Write ``obj`` as YAML atomically, in UTF-8 with its text as written (``Kraków``, not
    ``"Krak\xf3w"``: users edit a run's schema.yaml)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(yaml.safe_dump(dict(obj), sort_keys=False, allow_unicode=True), encoding="utf-8")
    os.replace(tmp, path)


def write_run_config(
    run_dir: Path,
    spec: Entry,
    data: str,
    n_data: int,
    seed: int,
    params: Mapping[str, Any],
    train: Mapping[str, Any],
    sample: Mapping[str, Any],
    data_subset: bool,
    world_size: int = 1,
    columns: Sequence[str] | None = None,
    holdout: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
    scaling: Mapping[str, Any] | None = None,
    dtypes: Mapping[str, Any] | None = None,
    labels: Sequence[Any] | None = None,
) -> None:
    """Write ``config.yaml``: everything needed to rebuild the run (with ``data.npy``; for a
    user's process also ``process.py``, the bytes it was loaded from). ``columns``: the names of
    the data's columns (a ``.csv`` header), recorded as ``columns: [...]`` when given;
    ``holdout``: for a data file, ``{fraction, rows}`` of :func:`split_rows`; ``context``: a
    conditional run's :meth:`~dmm.cli.context.Context.to_config`; ``scaling``: the map of a
    standardised run (:class:`~dmm.cli.scaling.ColumnScaling`); ``dtypes``: a DataFrame's pandas
    dtypes (:func:`~dmm.tabular.io.frame_dtypes`), which ``TabularModel`` gives its tables back
    in; ``labels``: a DataFrame's column labels where some are numbers (the columns are named
    by their text), which it gives its tables back with."""
    from .. import __version__

    extra: dict[str, Any] = {}
    if isinstance(spec, TabularEntry) and spec.codec is not None:
        write_yaml(spec.codec.schema.to_config(), run_dir / SCHEMA)
        extra = {"table": spec.codec.to_config()}
    if isinstance(spec, UserProcess) and spec.file is not None:
        tmp = run_dir / (PROCESS_COPY + ".tmp")
        tmp.write_bytes(spec.code)
        os.replace(tmp, run_dir / PROCESS_COPY)
        extra = {"process_sha256": spec.sha256}
    write_yaml(
        {
            "process": spec.name,
            **extra,
            "data": data,
            "n_data": int(n_data),
            "seed": int(seed),
            "params": dict(params),
            "train": dict(train),
            "sample": dict(sample),
            "world_size": int(world_size),
            "data_subset": bool(data_subset),
            **({} if columns is None else {"columns": [str(c) for c in columns]}),
            **({} if holdout is None else {"holdout": dict(holdout)}),
            **({} if context is None else {"context": dict(context)}),
            **({} if scaling is None else {"scaling": dict(scaling)}),
            **({} if not dtypes else {"dtypes": dict(dtypes)}),
            **({} if labels is None else {"labels": list(labels)}),
            "dmm_version": __version__,
        },
        run_dir / CONFIG,
    )


#: parameters added to entries after runs were trained without them, with the value such a run
#: was trained with (which the new default may not be)
BEFORE_THEIR_TIME = {
    "standardise": False,
    "observed_context": False,
    "fourier": 0,
    # levy-ou, 2026-12-03: the tail-potential's ball features and the anchored loss proposals
    "tail_radius": 0.0,
    "loss_anchor": False,
    # the jump losses' divergences (torus-jump, levy-ou): before them, the score entropy
    "divergence": "kl",
    "logistic_offset": 0.0,
    # levy-ou, 2026-12-05: offsets counted from the tail (with divergence=logistic)
    "offset_from_tail": False,
    # tabular, 2026-12-06: the real and positive columns' velocity output and weighting
    "numeric_loss": "eps-kl",
}


def saved_params(spec: Entry, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """A run's recorded process parameters; a run trained before an entry had a parameter of
    :data:`BEFORE_THEIR_TIME` (``standardise``, which now defaults to true: it trained on raw
    values) keeps the value it was trained with."""
    if params is not None and not isinstance(params, Mapping):
        raise UsageError(f"config.yaml: 'params' must be a mapping, got {type(params).__name__}")
    params = dict(params or {})
    for key, value in BEFORE_THEIR_TIME.items():
        if key in spec.params and key not in params:
            params[key] = value
    return params


def lookup_process(config: Mapping[str, Any], run_dir: Path) -> Entry:
    """The process of a run's ``config``: a catalogue entry, or a user's ``FILE.py:NAME`` /
    ``module:NAME`` whose copy ``process.py`` stands in (with a warning) for an original that has
    changed (its hash differs from ``process_sha256``) or is missing."""
    name = str(config["process"])
    if name == TABULAR and isinstance(config.get("table"), Mapping):
        from ..tabular.codec import TableCodec

        try:
            return TabularEntry(TableCodec.from_config(config["table"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise UsageError(
                f"config.yaml: bad 'table' entry ({' '.join(str(exc).split())})"
            ) from None
    if is_user_source(name):
        return load_user_process(name, run_dir / PROCESS_COPY, config.get("process_sha256"))
    return get_process(name)


@dataclass
class Run:
    """A trained run rebuilt from its folder: ``built`` holds the process, the model (with the
    checkpoint's weights), the loss and the samplers."""

    dir: Path
    config: dict[str, Any]
    built: Built
    checkpoint: dict[str, Any]

    @property
    def spec(self) -> Entry:
        return self.built.spec

    @property
    def params(self) -> dict[str, Any]:
        return self.built.params

    @property
    def process(self) -> Process:
        return self.built.process

    @property
    def model(self) -> nn.Module:
        return self.built.model

    @property
    def data(self) -> Tensor:
        """The training data in the data's own coordinates (``built.data`` is the model's)."""
        return self.built.decode(self.built.data)

    def stored_data(self) -> Tensor:
        """``data.npy`` exactly as written (a resumed run rebuilds from these very bits)."""
        return _read_data_file(self.dir)

    def trained_rows(self) -> Tensor | None:
        """The rows of ``data.npy`` the run trained on: all but those :meth:`heldout` names;
        ``None`` for a run that stored a subset of a large file (its split was of the whole
        file, read again only where :meth:`heldout` needs it)."""
        if self.config.get("data_subset", False):
            return None
        data = self.stored_data()
        holdout = self.config.get("holdout") or {}
        if not holdout.get("rows"):
            return data
        keep, _ = split_rows(len(data), float(holdout["fraction"]), int(self.config["seed"]))
        return data[keep]

    @property
    def sample(self) -> dict[str, Any]:
        return dict(self.config.get("sample", {}))

    @property
    def context(self) -> Context | None:
        """How a conditional run reads its context (``None``: the run is unconditional)."""
        return Context.from_config(self.config.get("context"))

    def context_rows(self) -> Tensor:
        """The raw context rows of a conditional run (``context.npy``, one per data row)."""
        path = self.dir / CONTEXT
        try:
            rows = torch.from_numpy(np.load(path, allow_pickle=False)).double()
        except (OSError, ValueError, EOFError) as exc:
            raise UsageError(f"could not read {path}: {' '.join(str(exc).split())}") from None
        context = self.context
        if rows.ndim != 2 or context is None or rows.shape != (len(self.data), context.dim):
            raise UsageError(f"{path} does not match the run's data and config.yaml")
        return rows

    def heldout_context(self) -> Tensor:
        """The raw context rows of :meth:`heldout`'s rows."""
        holdout = self.config.get("holdout") or {}
        if not holdout.get("rows"):
            return self.context_rows()[:0]
        _, rows = split_rows(len(self.data), float(holdout["fraction"]), int(self.config["seed"]))
        return self.context_rows()[rows]

    def heldout(self) -> Tensor:
        """The rows of a data file kept out of training (:func:`split_rows`; empty for a
        built-in, whose evaluation draws fresh data). For a run that stored a subset of a large
        file, the file is read again to split it as training did."""
        holdout = self.config.get("holdout") or {}
        if not holdout.get("rows"):
            return self.data[:0]
        data = self.data
        if self.config.get("data_subset", False):
            data = read_data(str(self.config["data"]), 1, int(self.config.get("seed", 0)))
            data = self.process.space.validate(data)
        _, rows = split_rows(len(data), float(holdout["fraction"]), int(self.config["seed"]))
        return data[rows]


#: rows whose every coordinate agrees within this share of ``|value|`` (about 16 float32
#: steps), within it absolutely near 0 and within 0.1 at most, are the same row written twice (a
#: file's printed decimals, an angle wrapped in float64 rather than float32): far below the
#: spacing of distinct rows of two or more coordinates
SAME_ROW_TOLERANCE = 2e-6


def shared_rows(rows: Tensor, pool: Tensor) -> int:
    """How many of ``rows`` are rows of ``pool``: value for value (in float32; each row one
    opaque value: a sort, not a Python set of bytes), or, for rows of two or more real
    coordinates, within :data:`SAME_ROW_TOLERANCE` in every coordinate (the same rotations
    written at 8 decimals had matched 109 of 360 training rows). Rows of one coordinate are
    matched exactly: a fresh draw lies within float32's rounding of one of many training rows
    by chance; so are rows whose most varied coordinate takes few values (the search would
    compare each row with many)."""
    if len(rows) == 0 or len(pool) == 0 or rows[0].numel() != pool[0].numel():
        return 0

    def keys(x: Tensor) -> np.ndarray:
        flat = np.ascontiguousarray(x.detach().cpu().reshape(len(x), -1).float().numpy())
        return flat.view(np.dtype((np.void, flat.dtype.itemsize * flat.shape[1]))).ravel()

    exact = np.isin(keys(rows), keys(pool))
    real = rows.is_floating_point() or pool.is_floating_point()
    if not real or exact.all() or rows[0].numel() < 2:
        return int(exact.sum())
    b = pool.detach().cpu().reshape(len(pool), -1).double().numpy()
    distinct = [len(np.unique(b[:, j])) for j in range(b.shape[1])]
    k = int(np.argmax(distinct))  # the sort key
    if distinct[k] < len(b) // 2:
        return int(exact.sum())
    a = rows.detach().cpu().reshape(len(rows), -1).double().numpy()[~exact]
    order = np.argsort(b[:, k], kind="stable")
    b, key = b[order], b[order, k]
    tol = np.minimum(SAME_ROW_TOLERANCE * np.maximum(np.abs(a), 1.0), 0.1)
    lo = np.searchsorted(key, a[:, k] - tol[:, k], "left")
    hi = np.searchsorted(key, a[:, k] + tol[:, k], "right")
    near = sum(
        bool((np.abs(b[lo[i] : hi[i]] - a[i]) <= tol[i]).all(axis=1).any())
        for i in np.flatnonzero(hi > lo)
    )
    return int(exact.sum()) + near


def _read_data_file(run_dir: Path) -> Tensor:
    if not (run_dir / DATA).is_file():
        raise UsageError(f"run folder '{run_dir}' has no {DATA}")
    try:
        array = np.load(run_dir / DATA, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise UsageError(f"could not read {run_dir / DATA}: {' '.join(str(exc).split())}") from None
    return torch.from_numpy(np.ascontiguousarray(array))


def require_writable(folder: Path, what: str) -> None:
    """A :class:`UsageError` before any work when ``folder`` cannot take a new file (``what``:
    the command and the files it writes there): its permissions, or a read-only file system
    (``access(2)`` reports both; the folder is not touched)."""
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{what}, but '{folder}' cannot be written to (read-only)")


def check_device(name: str) -> None:
    """``--device``: ``cpu``, ``cuda`` or ``cuda:N``, and CUDA present when asked for."""
    if name not in ("cpu", "cuda") and not name.startswith("cuda:"):
        raise UsageError(f"--device must be cpu or cuda, got '{name}'")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UsageError(f"--device {name} requested but CUDA is not available")


def load_run(
    run_dir: str | Path, ema: bool = True, device: str = "cpu", started: bool = False
) -> Run:
    """Rebuild process and model from ``run_dir`` and load the (EMA) weights of its checkpoint.

    ``started=True`` also accepts a run killed before its first checkpoint (``config.yaml`` and
    ``data.npy`` written, no ``checkpoint.pt``): the model keeps the initial weights of its seed
    and ``checkpoint`` is empty."""
    check_device(device)
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        if run_dir.exists():
            raise UsageError(f"'{run_dir}' is a file, not a run folder (dmm train writes one)")
        raise UsageError(f"run folder not found: '{run_dir}'")
    from .config import read_config_file

    if not (run_dir / CONFIG).is_file():
        raise UsageError(f"'{run_dir}' is not a run folder (no {CONFIG}; train one with dmm train)")
    config = read_config_file(run_dir / CONFIG)
    for key in ("process", "params"):
        if key not in config:
            raise UsageError(f"{run_dir / CONFIG} has no '{key}' entry")
    spec = lookup_process(config, run_dir)
    data = _read_data_file(run_dir)
    context = Context.from_config(config.get("context"))
    context_dim = 0 if context is None else context.dim
    try:
        scaling = ColumnScaling.from_config(config["scaling"]) if config.get("scaling") else None
    except ValueError as exc:
        raise UsageError(f"{run_dir / CONFIG}: {exc}") from None
    params = with_file_copies(spec, saved_params(spec, config["params"]), run_dir)
    fit = fit_rows(config, len(data))
    seed = int(config.get("seed", 0))
    built = build(spec, data, params, context_dim, seed=seed, scaling=scaling, fit=fit)
    if not (run_dir / CHECKPOINT).exists():
        if started:
            return Run(run_dir, config, built, {})
        raise UsageError(
            f"'{run_dir}' has no checkpoint yet (its training stopped before the first one): "
            f"dmm train --resume {run_dir} trains it"
        )
    state = load_checkpoint(run_dir / CHECKPOINT, device)
    planned = (config.get("train") or {}).get("steps")
    if not started and isinstance(planned, int) and state["step"] < planned:
        from .train import training_pid

        pid = training_pid(run_dir)
        now = (
            f"is being trained (by PID {pid}): its last checkpoint, used here, is at step "
            f"{state['step']} of {planned}"
            if pid is not None
            else f"stopped at step {state['step']} of {planned}; dmm train --resume {run_dir} "
            "continues it"
        )
        print(f"note: '{run_dir}' {now}", file=sys.stderr)
    try:
        built.model.load_state_dict(state["ema" if ema else "model"])
    except (RuntimeError, KeyError, TypeError) as exc:
        raise CheckpointError(
            f"checkpoint {run_dir / CHECKPOINT} does not match {CONFIG}: "
            f"{' '.join(str(exc).split())[:200]}"
        ) from None
    built.model.to(device).eval()
    return Run(run_dir, config, built, state)


def sampler_for(run: Run, name: str | None) -> tuple[str, Sampler]:
    """The sampler ``name`` (default: the run's) and its name."""
    name = name or run.sample.get("sampler", run.built.default_sampler)
    return name, run.built.sampler(name)
