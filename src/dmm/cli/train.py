"""``dmm train``: fit a denoising Markov model and write a run folder.

All checks (data, parameters, the run folder) happen before anything is written, so a user error
never leaves a half-written or overwritten folder. Under ``torchrun`` every rank runs this command;
the training loop averages gradients and only rank 0 writes files.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ..data.files import read_columns
from ..processes.base import MissingCapability
from ..spaces import SO3, Torus
from ..spaces.discrete import Discrete
from ..training import (
    CHECKPOINT,
    LOG,
    RESUMABLE_CHANGES,
    TrainConfig,
    check_resumable,
    continued,
    init_distributed,
    train,
)
from .catalog import Built, Entry, build, check_new_run, get_process
from .catalog.tabular import TabularEntry
from .catalog.user import is_user_source, record
from .config import (
    file_overrides,
    make_train_config,
    parse_sets,
    read_config_file,
    sample_settings,
    seed_argument,
    split_overrides,
)
from .config import seed as config_seed
from .context import Context, read_rows, split_columns
from .errors import UsageError
from .rundir import (
    DERIVED_FILES,
    FIT_TRAINING,
    HOLDOUT,
    LOSS_PLOT,
    MAX_DATA_BYTES,
    RUN_FILES,
    Run,
    absolute_files,
    check_device,
    load_run,
    read_data,
    save_context,
    save_data,
    save_file_copies,
    saved_params,
    split_rows,
    with_file_copies,
    write_run_config,
)
from .sample import show_progress

DEFAULT_N_DATA = 10000
LOCK = ".dmm.lock"  # a running train's PID


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train a model and write a run folder",
        description="Train a denoising Markov model; writes config.yaml, data.npy, "
        "checkpoint.pt, log.jsonl and loss.png into the run folder.",
    )
    p.add_argument(
        "--process",
        help="process name (see `dmm processes`), or your own: FILE.py:NAME or "
        "package.module:NAME (NAME a Process or a factory taking the data)",
    )
    p.add_argument(
        "--data", help="built-in data set name or a .npy/.csv/.parquet file of shape (n, ...)"
    )
    p.add_argument("--steps", type=int, help="training steps")
    p.add_argument("--batch-size", type=int, help="batch size")
    p.add_argument("--out", help="run folder (default runs/<process>-<data>)")
    p.add_argument(
        "--seed", type=seed_argument, help="seed of data, initialisation and training (default 0)"
    )
    p.add_argument("--config", help="YAML file with process/data/params/train/sample entries")
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a process, training or sampling parameter (repeatable)",
    )
    p.add_argument(
        "--resume",
        nargs="?",
        const=True,
        default=False,
        metavar="DIR",
        help="continue the run in --out (or in DIR) from its checkpoint",
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing run folder")
    p.add_argument("--device", help="cpu or cuda (default cpu)")
    p.add_argument(
        "--n-data", type=int, help=f"draws from a built-in data set (default {DEFAULT_N_DATA})"
    )
    p.add_argument(
        "--holdout",
        type=float,
        metavar="FRACTION",
        help=f"share of a data file's rows kept out of training, for the validation loss and "
        f"dmm eval (default {HOLDOUT})",
    )
    p.add_argument(
        "--context",
        metavar="FILE",
        help="condition on a context: a .npy/.csv/.parquet file with one row of numbers per data row",
    )
    p.add_argument(
        "--context-column",
        dest="context_columns",
        action="append",
        default=[],
        metavar="NAME",
        help="condition on this column of the training .csv (taken out of the data; repeatable)",
    )
    p.add_argument(
        "--schema",
        metavar="FILE",
        help="with --process tabular: a YAML file of column types (COLUMN: real|positive|integer|"
        "ordinal|categorical|datetime|id|constant; 'ordinal LOW,...,HIGH' or [LOW, ..., HIGH] for "
        "ordered text levels, "
        "'datetime FORMAT' for a date format) that override the inferred ones",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _device(name: str) -> str:
    check_device(name)
    if name.startswith("cuda") and int(os.environ.get("WORLD_SIZE", "1")) > 1 and name == "cuda":
        return f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
    return name


def _default_out(process: str, data: str) -> Path:
    """``runs/<process>-<data name or file stem>`` (a user's ``FILE.py:NAME`` gives
    ``FILE-NAME``)."""
    label = data if data in _builtins() else Path(data).stem  # student-t-1.5-2d keeps its .5
    if is_user_source(process):
        target, _, attr = process.rpartition(":")
        process = f"{Path(target).stem if target.endswith('.py') else target}-{attr}"
    return Path("runs") / f"{process}-{label}"


def _resolve(
    args: argparse.Namespace, saved: dict[str, Any] | None, saved_spec: Entry | None
) -> dict[str, Any]:
    """Merge saved config (on resume), config file, --set and explicit flags, in that order."""
    content = read_config_file(args.config) if args.config else {}
    if saved is not None:
        given = {
            "process": None if args.process is None else _process_record(args.process),
            "seed": args.seed,
            "data": None if args.data is None else _data_record(args.data),
        }
        for key, flag in given.items():
            if flag is not None and str(flag) != str(saved.get(key)):
                raise UsageError(
                    f"--{key} {flag} differs from the run's {key} "
                    f"'{saved.get(key)}' (a resumed run keeps them)"
                )
        given_file = {k: v for k, v in content.items() if k not in ("process", "data")}
        content = {**saved, **given_file}
        for section in ("params", "train", "sample"):  # a file's section adds to the run's
            if isinstance(saved.get(section), dict) and isinstance(given_file.get(section), dict):
                content[section] = {**saved[section], **given_file[section]}
    if saved is None and args.context is None and not args.context_columns:
        _conditioning_from(content.get("context"), args)
    name = args.process or content.get("process")
    if not name:
        raise UsageError("--process is required (see `dmm processes`)")
    spec = saved_spec or get_process(name)
    data = args.data or content.get("data")
    if not data:
        raise UsageError("--data is required (a built-in name or a .npy/.csv/.parquet file)")
    if saved is not None:  # a run from before `standardise` keeps training on raw values
        content["params"] = saved_params(spec, content.get("params"))
    over = file_overrides(spec, content)
    for section, values in split_overrides(spec, parse_sets(args.sets)).items():
        over[section].update(values)
    params = spec.with_params(over["process"])
    if saved is None:  # a file a process is built from, named from any folder
        params = absolute_files(spec, params)
    if saved is not None and params != spec.with_params(saved_params(spec, saved.get("params"))):
        raise UsageError("process parameters cannot change when resuming a run")
    given_seed = over["train"].pop("seed", content.get("seed", 0))  # --set seed=N or the file
    seed = args.seed if args.seed is not None else config_seed(given_seed)
    make_train_config({**spec.train_defaults, **over["train"]})  # check --set values a flag hides
    flags = {"steps": args.steps, "batch_size": args.batch_size, "device": args.device}
    train_values = {
        **spec.train_defaults,
        **over["train"],
        **{k: v for k, v in flags.items() if v is not None},
        "seed": seed,
    }
    n_data = args.n_data if args.n_data is not None else content.get("n_data", DEFAULT_N_DATA)
    if isinstance(n_data, bool) or not isinstance(n_data, int):
        raise UsageError(f"n_data must be a positive integer, got {n_data!r}")
    if saved is not None:
        _check_resumed(saved, train_values, n_data if args.n_data is not None else None)
    saved_holdout = None
    if saved is not None:  # a run from before held-out splits trained on every row: keep that
        saved_holdout = (saved.get("holdout") or {}).get("fraction", 0.0)
    if saved_holdout is not None and args.holdout is not None and args.holdout != saved_holdout:
        raise UsageError(f"--holdout {args.holdout} differs from the run's {saved_holdout}")
    if saved is None and args.holdout is None:  # a config file's (a run's: {fraction, rows})
        recorded = content.get("holdout")
        saved_holdout = recorded.get("fraction") if isinstance(recorded, dict) else recorded
    holdout = args.holdout if args.holdout is not None else saved_holdout
    if holdout is not None and (isinstance(holdout, bool) or not isinstance(holdout, (int, float))):
        raise UsageError(f"holdout must be a number in [0, 1), got {holdout!r}")
    holdout = HOLDOUT if holdout is None else float(holdout)
    if not 0 <= holdout < 1:
        raise UsageError(f"--holdout must be in [0, 1), got {holdout}")
    return {
        "spec": spec,
        "data": str(data),
        "seed": seed,
        "n_data": n_data,
        "holdout": holdout,
        "params": params,
        "train": train_values,
        "sample": over["sample"],
    }


def _check_resumed(saved: dict[str, Any], train: dict[str, Any], n_data: int | None) -> None:
    """:class:`UsageError` for a resumed run given other training settings than it was trained
    with (``--batch-size``, ``--set lr=...``) or another ``--n-data``: its steps so far used
    the recorded ones, and ``config.yaml`` must keep saying what the run used."""
    recorded = saved.get("train") or {}
    changed = [
        f"{key} {train[key]!r} (the run's {recorded[key]!r})"
        for key in train
        if key in recorded and key not in RESUMABLE_CHANGES and train[key] != recorded[key]
    ]
    if n_data is not None and n_data != saved.get("n_data"):
        changed.append(f"n_data {n_data} (the run's {saved.get('n_data')})")
    if changed:
        raise UsageError(
            f"a resumed run keeps its training settings; given {', '.join(changed)} (only "
            f"{', '.join(RESUMABLE_CHANGES)} may change)"
        )


def run(args: argparse.Namespace) -> int:
    resume_dir = args.resume if isinstance(args.resume, str) else None
    if resume_dir and args.out and not _same_folder(args.out, resume_dir):
        raise UsageError(f"--resume {resume_dir} and --out {args.out} name different folders")
    if args.resume and args.force:
        raise UsageError("--resume and --force exclude each other")
    out_arg = resume_dir or args.out
    if args.resume and not out_arg and args.process and args.data:
        out_arg = str(_default_out(args.process, args.data))
    saved, previous = None, None
    if args.resume:
        if not out_arg:
            raise UsageError("--resume needs the run folder: dmm train --resume DIR")
        previous = load_run(out_arg, started=True)  # checks folder, config, data, checkpoint
        if previous.checkpoint:  # before anything is written
            check_resumable(previous.checkpoint, Path(out_arg) / CHECKPOINT)
        saved = previous.config
    cfg = _resolve(args, saved, None if previous is None else previous.spec)
    spec = cfg["spec"]
    device = _device(str(cfg["train"].get("device", "cpu")))
    cfg["train"]["device"] = device
    rank, world = init_distributed(device)
    if world > 1 and cfg["train"].get("micro_batches", 1) % world:
        cfg["train"]["micro_batches"] = world  # one micro-batch per process
    train_config: TrainConfig = make_train_config(cfg["train"])
    done = int(previous.checkpoint.get("step", 0)) if previous is not None else 0
    if previous is not None and previous.checkpoint:  # before anything is written or removed
        where = Path(out_arg) / CHECKPOINT
        train_config = continued(train_config, previous.checkpoint.get("config"), where)
    if done > train_config.steps:
        raise UsageError(
            f"run '{out_arg}' is already at step {done}; "
            f"--steps {train_config.steps} would go back (give at least that many)"
        )
    out = Path(out_arg or _default_out(spec.name, cfg["data"]))

    table = isinstance(spec, TabularEntry)
    if previous is None and args.schema is not None and not table:
        raise UsageError("--schema describes a table's columns: use it with --process tabular")
    if previous is not None and args.schema is not None:
        raise UsageError("--schema cannot change when resuming a run (it keeps its schema)")
    if previous is not None and not saved.get("data_subset", False):
        data = previous.stored_data()
        columns = saved.get("columns")
    elif table:
        from .tables import training_table

        rows_wanted = args.n_data if args.n_data is not None else None
        spec, frame = training_table(cfg["data"], args.schema, rows_wanted, cfg["seed"])
        cfg["spec"] = spec
        data, columns = spec.codec.encode(frame), [str(c) for c in frame.columns]
        for note in frame.attrs.get("notes", ()):
            print(f"note: {note}", flush=True)
        print(
            f"schema of {cfg['data']} ({len(frame)} rows"
            + ("" if args.schema else "; inferred, override with --schema FILE")
            + f"):\n{spec.codec.schema.describe()}",
            flush=True,
        )
    else:
        data = read_data(cfg["data"], cfg["n_data"], cfg["seed"])
        columns = saved.get("columns") if saved is not None else read_columns(cfg["data"])
    if table and (args.context is not None or args.context_columns):
        raise UsageError(
            "a table run is conditioned at sampling time: dmm sample RUN --where COLUMN=VALUE"
        )
    data, raw_context, columns = _context(args, cfg, previous, data, columns)
    if len(data) < 2:
        raise UsageError(f"need at least 2 rows of training data, got {len(data)}")
    context_dim = 0 if raw_context is None else raw_context.shape[1]
    scaling = None if previous is None else previous.built.scaling  # a resumed run keeps its map
    params = (
        cfg["params"] if previous is None else with_file_copies(spec, cfg["params"], previous.dir)
    )
    if saved is None:  # bounds on new runs only: a run recorded before a bound still resumes
        check_new_run(spec, params)
    builtin = cfg["data"] in _builtins()
    if not builtin:  # a file: a random share of its rows is never trained on, nor made from
        keep, held = split_rows(len(data), cfg["holdout"], cfg["seed"])
    fit = None
    recorded = None if saved is None else (saved.get("holdout") or {}).get("fit")
    # a table's encoding (levels, ranges, scaling) is read from the whole table (docs/tabular.md)
    if not builtin and not table and len(held) and (saved is None or recorded == FIT_TRAINING):
        fit = keep  # (a run from before 2026-12-06 resumes made from every row, as it was)
    built = build(spec, data, params, context_dim, seed=cfg["seed"], scaling=scaling, fit=fit)
    given_data = data  # data.npy: what build was given, so that a rebuild is bit for bit the same
    data = built.data  # every row validated (and standardised); the process is made from `fit`
    _warn_terminal(built)
    sample = sample_settings(built, cfg["sample"])
    holdout = None
    if builtin:
        from ..data.registry import unseen  # a finite set's validation rows: its held-out set

        val_data = built.encode(
            read_data(
                unseen(cfg["data"]), min(train_config.val_size, cfg["n_data"]), cfg["seed"] + 1
            )
        )
        rows = data
    else:
        holdout = {"fraction": cfg["holdout"], "rows": len(held)}
        if fit is not None:
            holdout["fit"] = FIT_TRAINING
        rows, val_data = data[keep], (data[held][: train_config.val_size] if len(held) else None)
    context, val_context, context_spec = None, None, None
    if raw_context is not None:  # standardised by the training rows' mean and spread
        context_spec = (
            Context.from_config(saved["context"])
            if saved is not None
            else Context.fit(raw_context[keep], _context_source(args))
        )
        encoded = context_spec.encode(raw_context)
        context = encoded[keep]
        val_context = encoded[held][: train_config.val_size] if val_data is not None else None

    try:
        out.exists()
    except OSError as exc:  # e.g. a name longer than the file system allows
        raise UsageError(f"cannot use --out '{str(out)[:80]}': {exc.strerror or exc}") from None
    if not args.resume and out.exists() and not out.is_dir():
        raise UsageError(
            f"--out '{out}' is a file, not a run folder (--force replaces only folders)"
        )
    if (
        not args.resume
        and out.exists()
        and (not out.is_dir() or any(out.iterdir()))
        and (not args.force)
    ):
        raise UsageError(
            f"run folder '{out}' already exists; use --resume to continue it "
            f"or --force to overwrite it"
        )
    if args.force and out.is_dir():
        _check_replaceable(out, spec.files.values())
    _barrier(world)  # every rank has passed every check before anything is written
    if previous is not None and previous.checkpoint and done == train_config.steps and world == 1:
        _nothing_to_train(out, done, previous.checkpoint.get("history", []))
        return 0
    created = not out.exists()
    lock = None
    if rank == 0:
        try:
            out.mkdir(parents=True, exist_ok=True)
            lock = _lock(out)  # before --force touches anything: a running train keeps its folder
            for name in (*RUN_FILES, *spec.files.values()):  # temporaries of a killed run
                (out / (name + ".tmp")).unlink(missing_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot write run folder '{out}': {exc.strerror or exc}") from None
    failed = True
    try:
        if rank == 0:
            if args.force:
                for name in (*RUN_FILES, *spec.files.values()):
                    (out / name).unlink(missing_ok=True)
            if args.resume and done < train_config.steps:
                _drop_derived(out, done)
            subset = (
                save_data(given_data, out, cfg["seed"], pool=fit)
                if saved is None
                else bool(saved.get("data_subset", False))
            )
            if saved is None:
                save_file_copies(spec, cfg["params"], out)
            if raw_context is not None and saved is None:
                save_context(raw_context, out)
            write_run_config(
                out,
                spec,
                _data_record(cfg["data"]),
                cfg["n_data"] if holdout is None else len(data),  # a file: the rows it had
                cfg["seed"],
                {**built.params, **{k: cfg["params"][k] for k in spec.files}},  # not the copies
                asdict(train_config),
                sample,
                subset,
                world,
                columns=columns,
                holdout=holdout,
                context=None if context_spec is None else context_spec.to_config(),
                scaling=None if built.scaling is None else built.scaling.to_config(),
            )
            args.run_folder = str(out)  # a run to resume: the line an interruption prints
        _barrier(world)
        if rank == 0:
            print(
                f"training {spec.name} on {cfg['data']} ({tuple(rows.shape)}, {data.dtype}"
                + ("" if not holdout else f"; {holdout['rows']} more rows held out")
                + f") for {train_config.steps} steps, batch {train_config.batch_size}, world size "
                f"{world} -> {out}",
                flush=True,
            )
            if holdout is not None and not holdout["rows"]:
                print(
                    f"note: no held-out rows ({len(data)} rows, holdout {cfg['holdout']}): the "
                    "validation loss uses training rows, and dmm eval needs a separate --data "
                    "file",
                    flush=True,
                )
            for note in built.notes:  # e.g. a reference simulated from the training rows
                print(f"note: {note}", flush=True)
        result = train(
            built.model,
            built.loss,
            rows,
            train_config,
            context=context,
            val_data=val_data,
            val_context=val_context,
            run_dir=out,
            resume=bool(previous is not None and previous.checkpoint),  # else from step 0
            progress=rank == 0 and show_progress(args),  # not into a file or pipe
        )
        if rank == 0:
            plotted = _loss_plot(result.history, out / LOSS_PLOT)
            last = result.history[-1] if result.history else {}
            val = next((r["val_loss"] for r in reversed(result.history) if "val_loss" in r), None)
            print(
                f"done: step {result.step}, loss {last.get('loss', float('nan')):.4g}"
                + (f", val loss {val:.4g}" if val is not None else "")
                + f"; wrote {out / CHECKPOINT}, {out / LOG}"
                + (f", {out / LOSS_PLOT}" if plotted else ""),
                flush=True,
            )
        failed = False
    except OSError as exc:
        _discard(out, rank, bool(args.resume), spec.files.values())
        raise UsageError(f"cannot write run folder '{out}': {exc.strerror or exc}") from None
    except KeyboardInterrupt:  # Ctrl-C: kept for --resume, as kill -9 leaves it
        raise
    except BaseException:
        _discard(out, rank, bool(args.resume), spec.files.values())
        raise
    finally:
        if lock is not None:
            lock.unlink(missing_ok=True)
            if failed and created and not any(out.iterdir()):
                out.rmdir()
    if world > 1:
        torch.distributed.destroy_process_group()
    return 0


#: ``dmm train`` warns when the mean terminal KL (nats) of the data exceeds this
TERMINAL_WARNING_NATS = 1.0


def _warn_terminal(built: Built) -> None:
    """A note when the data's scale leaves much of it at ``T``: the terminal term of the error
    bound, ``mean KL(p_{T|0}(·|x_0) || q)``, is then large whatever the model learns."""
    try:
        kl = float(built.process.terminal_kl(built.data).double().mean())
    except MissingCapability:
        return
    if kl > TERMINAL_WARNING_NATS:
        fix = "--set standardise=true or " if built.params.get("standardise") is False else ""
        chain = isinstance(built.process.space, Discrete)
        compact = isinstance(built.process.space, (Torus, SO3))  # no scale: the schedule
        cause = (
            "a chain that does not mix to it"
            if chain
            else "too little noise by T"
            if compact
            else "data on another scale"
        )
        print(
            f"note: the data leave a terminal KL of {kl:.3g} nats: the forward process does not "
            f"reach its reference by T ({cause}); try {fix}"
            + ("a rate matrix that connects every state, or " if chain else "")
            + "a longer or noisier schedule",
            flush=True,
        )


def _context(
    args: argparse.Namespace,
    cfg: dict[str, Any],
    previous: Run | None,
    data: Tensor,
    columns: list[str] | None,
) -> tuple[Tensor, Tensor | None, list[str] | None]:
    """``(data, raw context rows or None, the data's column names)``: a resumed run's own
    context, or the rows of ``--context FILE``, or the ``--context-column`` columns taken out of
    the training ``.csv``."""
    given = args.context is not None or bool(args.context_columns)
    if previous is not None:
        if given:
            flag = "--context" if args.context is not None else "--context-column"
            raise UsageError(f"a resumed run keeps its context: leave out {flag}")
        if previous.config.get("context"):
            return data, previous.context_rows(), columns
        return data, None, columns
    if not given:
        return data, None, columns
    if args.context is not None and args.context_columns:
        raise UsageError("give --context FILE or --context-column NAME, not both")
    if cfg["data"] in _builtins():
        raise UsageError(
            "conditioning needs a data file whose rows the context rows match, not a built-in"
        )
    if data.element_size() * data.numel() > MAX_DATA_BYTES:
        raise UsageError("conditioning on data over 50 MB is not supported")
    if args.context_columns:
        return split_columns(data, columns, args.context_columns, cfg["data"])
    rows = read_rows(args.context, "--context")
    if len(rows) != len(data):
        raise UsageError(f"--context has {len(rows)} rows, the data {len(data)}")
    return data, rows, columns


def _conditioning_from(recorded: Any, args: argparse.Namespace) -> None:
    """A ``--config`` file's recorded conditioning (a run's ``config.yaml``: ``context.source``)
    as if given on the command line, ``--context-column NAME ...`` or ``--context FILE``."""
    source = recorded.get("source") if isinstance(recorded, dict) else None
    if not isinstance(source, dict):
        return
    if source.get("columns"):
        args.context_columns = [str(c) for c in source["columns"]]
    elif source.get("file"):
        args.context = str(source["file"])


def _context_source(args: argparse.Namespace) -> dict[str, Any]:
    if args.context_columns:
        return {"columns": list(args.context_columns)}
    names = read_columns(args.context)  # a .csv's header: dmm sample matches its columns by name
    return {"file": str(Path(args.context).resolve()), **({"names": names} if names else {})}


def _drop_derived(out: Path, step: int) -> None:
    """Remove what ``dmm eval`` and ``plot`` wrote from the checkpoint a resumed run continues
    (they would sit beside a later checkpoint), saying so."""
    gone = [name for name in DERIVED_FILES if (out / name).exists()]
    for name in gone:
        (out / name).unlink()
    if gone:
        print(f"note: removed {', '.join(gone)} (they described step {step})", flush=True)


def _same_folder(a: str, b: str) -> bool:
    """Whether two paths name one folder (``c1`` and ``/home/me/c1``, ``c1/`` and ``./c1``)."""
    return Path(a).resolve() == Path(b).resolve()


def _check_replaceable(out: Path, copies: Iterable[str] = ()) -> None:
    """:class:`UsageError` when ``--force`` would replace files of ``out`` that are not a run's:
    files with a run file's name (``config.yaml``, ``data.npy``, ...) in a folder that holds no
    run (a project folder given as ``--out .``, its own ``config.yaml`` a ``--config`` file). A
    run is a ``config.yaml`` that ``dmm train`` wrote (with ``world_size``, which a hand-written
    file has no use for), or the lock of a ``dmm train`` killed before it wrote one."""
    ours = [name for name in (*RUN_FILES, *copies) if (out / name).exists()]
    if not ours or (out / LOCK).exists():
        return
    try:
        config = read_config_file(str(out / "config.yaml"))
        is_run = isinstance(config, dict) and {"process", "train", "world_size"} <= set(config)
    except (UsageError, OSError):
        is_run = False
    if not is_run:
        raise UsageError(
            f"'{out}' is not a run folder but holds {', '.join(ours)}: --force replaces only a "
            "run's files; give another --out"
        )


def _discard(out: Path, rank: int, resume: bool, copies: Iterable[str] = ()) -> None:
    """After a failed start, remove what this run wrote, unless it has a checkpoint to resume
    from (a resumed run's folder is never touched); the folder itself goes with the lock."""
    if rank != 0 or resume or (out / CHECKPOINT).exists() or not out.is_dir():
        return
    for name in (*RUN_FILES, *copies):
        (out / name).unlink(missing_ok=True)


def _lock(out: Path) -> Path:
    """Take ``out/.dmm.lock`` (this PID, its process's start time and its PID namespace); a lock
    whose process is gone, or whose PID now names a process started at another time (a reused
    PID), is stale and replaced. :class:`UsageError` while its own process runs, or where that
    cannot be told (a lock written in another PID namespace, e.g. another container)."""
    path = out / LOCK
    for _ in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            owner = _lock_owner(path)
            state = "stale" if owner is None else _lock_state(*owner)
            if state == "held":
                raise UsageError(
                    f"run folder '{out}' is in use by PID {owner[0]} (another dmm train); wait "
                    f"for it or stop it"
                ) from None
            if state == "elsewhere":
                raise UsageError(
                    f"run folder '{out}' is locked by PID {owner[0]} of another PID namespace "
                    f"(another container?); if no dmm train runs there, remove {path}"
                ) from None
            path.unlink(missing_ok=True)  # stale: its process is gone
            continue
        with os.fdopen(fd, "w") as f:
            fields = [os.getpid(), _started(os.getpid()), _namespace()]
            f.write(" ".join("-" if v is None else str(v) for v in fields))
        return path
    raise UsageError(f"could not lock run folder '{out}'")


def _nothing_to_train(out: Path, done: int, history: list[dict[str, Any]]) -> None:
    """``--resume`` of a run already at its steps: say so (it said "done ... wrote ..." and
    wrote nothing), and draw the loss plot of a run killed before it; a folder another
    ``dmm train`` holds is refused as :func:`_lock` refuses it."""
    pid = training_pid(out)
    if pid is not None:
        raise UsageError(
            f"run folder '{out}' is in use by PID {pid} (another dmm train); wait for it or stop it"
        )
    if history and not (out / LOSS_PLOT).exists():
        _loss_plot(history, out / LOSS_PLOT)
    print(
        f"'{out}' is already at step {done} of {done}: nothing to train (--steps N continues "
        "it to step N)",
        flush=True,
    )


def training_pid(out: Path) -> int | None:
    """The PID of the ``dmm train`` that holds ``out``'s lock now, ``None`` where none does."""
    owner = _lock_owner(Path(out) / LOCK)
    return owner[0] if owner is not None and _lock_state(*owner) == "held" else None


def _lock_owner(path: Path) -> tuple[int, int | None, str | None] | None:
    """``(PID, start time, PID namespace)`` of a lock file, ``None`` for what it does not say
    (a lock from before start times holds the PID alone)."""
    try:
        parts = path.read_text().split()
        pid = int(parts[0])
    except (OSError, ValueError, IndexError):
        return None
    started = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    namespace = parts[2] if len(parts) > 2 and parts[2] != "-" else None
    return pid, started, namespace


def _lock_state(pid: int, started: int | None, namespace: str | None) -> str:
    """``held`` (its process runs), ``stale`` (gone: this process, a dead PID, or a PID now
    given to a process started at another time) or ``elsewhere`` (another PID namespace, where
    this process cannot look)."""
    if namespace is not None and _namespace() is not None and namespace != _namespace():
        return "elsewhere"
    if pid == os.getpid() or not _alive(pid):
        return "stale"
    return "held" if started is None or _started(pid) in (None, started) else "stale"


def _namespace() -> str | None:
    """This process's PID namespace (``/proc/self/ns/pid``'s link); ``None`` where unknown."""
    try:
        return os.readlink("/proc/self/ns/pid").replace(" ", "")
    except OSError:
        return None


def _started(pid: int) -> int | None:
    """A process's start time in clock ticks after boot (``/proc/PID/stat``'s 22nd field);
    ``None`` where ``/proc`` does not say."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return int(stat[stat.rindex(")") + 2 :].split()[19])  # fields after the command name
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OverflowError:
        return False
    return True


def _builtins() -> set[str]:
    from ..data import BUILTIN_DATASETS

    return set(BUILTIN_DATASETS)


def _data_record(data: str) -> str:
    from .tables import builtin_tables

    if data in _builtins() or data in builtin_tables():
        return data
    return str(Path(data).resolve())


def _process_record(process: str) -> str:
    return record(process) if is_user_source(process) else process


def _barrier(world: int) -> None:
    if world > 1:
        torch.distributed.barrier()


def _loss_plot(history: list[dict[str, Any]], path: Path) -> bool:
    """Draw ``loss.png``; without the optional ``plot`` extra, say so on stderr and skip it."""
    try:
        from ..plotting import plot_loss
    except ImportError as exc:  # matplotlib and pillow are the optional extra ``plot``
        print(
            f"dmm: note: {path.name} not written ({exc.name or 'matplotlib'} is not installed; "
            "pip install 'denoising-markov-models[plot]')",
            file=sys.stderr,
            flush=True,
        )
        return False
    plot_loss(history, path)
    return True
