"""A run folder: what ``dmm train`` writes and every other command reads back.

Files: ``config.yaml`` (everything used: process name, parameters, data spec, training and
sampling settings), ``data.npy`` (the training data, so that ``ProcessSpec.build`` — which may
read moments of the data — rebuilds the same process), ``checkpoint.pt``, ``log.jsonl``,
``loss.png``, and later ``samples.png``, ``backward.gif``, ``eval.json``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from torch import Tensor, nn

from ..data import DataError, load_data
from ..losses import Loss
from ..processes.base import Process
from ..registry import ProcessSpec, get_process
from ..training import CHECKPOINT, LOG, CheckpointError, load_checkpoint
from .errors import UsageError

CONFIG = "config.yaml"
DATA = "data.npy"
LOSS_PLOT = "loss.png"
SAMPLES_PLOT = "samples.png"
GIF = "backward.gif"
EVAL = "eval.json"
#: every file a run folder may hold (``--force`` removes exactly these)
RUN_FILES = (CONFIG, DATA, CHECKPOINT, LOG, LOSS_PLOT, SAMPLES_PLOT, GIF, EVAL)
MAX_DATA_BYTES = 50 * 2**20


def lookup_process(name: str) -> ProcessSpec:
    """The registered spec ``name``; :class:`UsageError` listing the known names otherwise."""
    try:
        return get_process(str(name))
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def read_data(spec: str, n: int, seed: int) -> Tensor:
    """A built-in data set (``n`` draws with ``seed``) or a ``.npy``/``.csv`` file (all rows)."""
    if n <= 0:
        raise UsageError(f"--n-data must be positive, got {n}")
    try:
        return load_data(str(spec), n, torch.Generator().manual_seed(seed))
    except ValueError as exc:  # DataError or a data set's own argument check
        raise DataError(" ".join(str(exc).split())) from None


def build_process(
    spec: ProcessSpec, data: Tensor, params: Mapping[str, Any]
) -> tuple[Process, Tensor]:
    """``spec.build(data, params)``, then check the data lie in the process's space; returns the
    process and the validated data (a space may map data into itself, e.g. a wrapping torus)."""
    try:
        process = spec.build(data, params)
    except (TypeError, ValueError, KeyError) as exc:
        raise UsageError(
            f"cannot build process '{spec.name}' with {dict(params)}: {' '.join(str(exc).split())}"
        ) from None
    return process, process.space.validate(data)  # SupportError names the rows


def build_model(
    spec: ProcessSpec, process: Process, params: Mapping[str, Any]
) -> tuple[nn.Module, Loss]:
    """The untrained model and the training loss for ``process``."""
    try:
        return spec.model(process, params, 0), spec.loss(process, params)
    except (TypeError, ValueError, KeyError) as exc:
        raise UsageError(
            f"invalid parameter for process '{spec.name}': {' '.join(str(exc).split())}"
        ) from None


def save_data(data: Tensor, run_dir: Path, seed: int) -> bool:
    """Write ``data.npy`` (all rows, or a random subset under 50 MB); ``True`` if subsampled."""
    array = data.cpu().numpy()
    subset = array.nbytes > MAX_DATA_BYTES
    if subset:
        keep = max(1, int(len(array) * MAX_DATA_BYTES / array.nbytes))
        rows = np.random.default_rng(seed).choice(len(array), keep, replace=False)
        array = array[np.sort(rows)]
    tmp = run_dir / (DATA + ".tmp.npy")
    np.save(tmp, array)
    os.replace(tmp, run_dir / DATA)
    return subset


def write_yaml(obj: Mapping[str, Any], path: Path) -> None:
    """Write ``obj`` as YAML atomically."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(yaml.safe_dump(dict(obj), sort_keys=False))
    os.replace(tmp, path)


def write_run_config(
    run_dir: Path,
    spec: ProcessSpec,
    data: str,
    n_data: int,
    seed: int,
    params: Mapping[str, Any],
    train: Mapping[str, Any],
    sample: Mapping[str, Any],
    data_subset: bool,
    world_size: int = 1,
) -> None:
    """Write ``config.yaml``: everything needed to rebuild the run (with ``data.npy``)."""
    from .. import __version__

    write_yaml(
        {
            "process": spec.name,
            "data": data,
            "n_data": int(n_data),
            "seed": int(seed),
            "params": dict(params),
            "train": dict(train),
            "sample": dict(sample),
            "world_size": int(world_size),
            "data_subset": bool(data_subset),
            "dmm_version": __version__,
        },
        run_dir / CONFIG,
    )


@dataclass
class Run:
    """A trained run rebuilt from its folder."""

    dir: Path
    config: dict[str, Any]
    spec: ProcessSpec
    params: dict[str, Any]
    process: Process
    model: nn.Module
    data: Tensor
    checkpoint: dict[str, Any]

    @property
    def sample(self) -> dict[str, Any]:
        return dict(self.config.get("sample", {}))


def load_run(run_dir: str | Path, ema: bool = True, device: str = "cpu") -> Run:
    """Rebuild process and model from ``run_dir`` and load the (EMA) weights of its checkpoint."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UsageError(f"run folder not found: '{run_dir}'")
    from .config import read_config_file

    if not (run_dir / CONFIG).is_file():
        raise UsageError(f"'{run_dir}' is not a run folder (no {CONFIG}; train one with dmm train)")
    config = read_config_file(run_dir / CONFIG)
    for key in ("process", "params"):
        if key not in config:
            raise UsageError(f"{run_dir / CONFIG} has no '{key}' entry")
    spec = lookup_process(config["process"])
    if not (run_dir / DATA).is_file():
        raise UsageError(f"run folder '{run_dir}' has no {DATA}")
    try:
        array = np.load(run_dir / DATA, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise UsageError(f"could not read {run_dir / DATA}: {' '.join(str(exc).split())}") from None
    data = torch.from_numpy(np.ascontiguousarray(array))
    from .config import process_params

    params = process_params(spec, config["params"])
    process, _ = build_process(spec, data, params)
    model, _ = build_model(spec, process, params)
    state = load_checkpoint(run_dir / CHECKPOINT, device)
    try:
        model.load_state_dict(state["ema" if ema else "model"])
    except (RuntimeError, KeyError, TypeError) as exc:
        raise CheckpointError(
            f"checkpoint {run_dir / CHECKPOINT} does not match {CONFIG}: "
            f"{' '.join(str(exc).split())[:200]}"
        ) from None
    model.to(device).eval()
    return Run(run_dir, config, spec, params, process, model, data, state)


def sampler_for(run: Run, name: str | None):
    """The sampler ``name`` (default: the run's) built from the spec's factories."""
    name = name or run.sample.get("sampler", run.spec.default_sampler)
    if name not in run.spec.samplers:
        raise UsageError(
            f"unknown sampler '{name}' for process '{run.spec.name}' "
            f"(known: {', '.join(run.spec.samplers)})"
        )
    return name, run.spec.samplers[name](run.params)
