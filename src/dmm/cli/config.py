"""Run configuration at the command-line boundary: YAML files, ``--set KEY=VALUE`` overrides, and
the resolved configuration every run folder stores as ``config.yaml``.

A configuration has four parts: the process name and data spec, the process parameters
(the catalogue entry's ``params``, coerced by :meth:`~dmm.cli.catalog.Entry.with_params`), the
training loop (:class:`~dmm.training.TrainConfig` fields) and the
sampling defaults (``sampler``, ``sample_steps``, ``denoise``). A ``--set`` key goes to the first
part that knows it (process parameters first); ``process.KEY``, ``train.KEY`` and ``sample.KEY``
name the part explicitly.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from ..training import MAX_SEED, TrainConfig
from .catalog import Built, Entry
from .errors import UsageError

TRAIN_KEYS = tuple(f.name for f in dataclasses.fields(TrainConfig))
SAMPLE_KEYS = ("sampler", "sample_steps", "denoise")
SECTIONS = ("process", "train", "sample")


def seed(text: str | int) -> int:
    """A seed from the command line or a config file: an integer in ``[0, MAX_SEED]``."""
    try:
        value = int(text) if isinstance(text, (int, str)) and not isinstance(text, bool) else None
    except ValueError:
        value = None
    if value is None or not 0 <= value <= MAX_SEED:
        raise UsageError(f"seed must be an integer in [0, {MAX_SEED}], got {text!r}")
    return value


def seed_argument(text: str) -> int:
    """:func:`seed` as an argparse ``type`` (its message becomes argparse's one line)."""
    try:
        return seed(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive_whole(flag: str) -> Callable[[str], int]:
    """An argparse ``type`` for ``flag``: a positive whole number, else one line naming it."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise argparse.ArgumentTypeError(f"{flag} takes a positive whole number, got {text!r}")
        return value

    return parse


def writable_file(flag: str) -> Callable[[str], Path]:
    """An argparse ``type`` for ``flag``: a file path that can be written (its nearest existing
    folder takes files, and the file itself if it exists), checked before a long run rather
    than when it ends, and nothing made yet; one line naming it else. The caller makes the
    missing folders when it writes."""

    def parse(text: str) -> Path:
        path = Path(text)
        folder = path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        try:  # a file made and gone at once: permissions, read-only mounts, /proc alike
            with tempfile.TemporaryFile(dir=folder):
                writable = True
        except OSError:
            writable = False
        if path.is_dir() or not writable or (path.exists() and not os.access(path, os.W_OK)):
            raise argparse.ArgumentTypeError(
                f"{flag} cannot write {text!r} (a folder, or no write access to it or to "
                f"{str(folder)!r})"
            )
        return path

    return parse


def parse_value(text: str) -> Any:
    """A ``--set`` value: YAML scalars (``128``, ``1e-3``, ``true``, ``cosine``)."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if isinstance(value, str):  # YAML reads ``1e-3`` as a string; accept it as a float
        try:
            return float(value)
        except ValueError:
            return value
    return value


def parse_sets(items: Sequence[str]) -> dict[str, Any]:
    """``["hidden=128", "train.lr=1e-3"]`` → ``{"hidden": 128, "train.lr": 0.001}``."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set expects KEY=VALUE, got '{item}'")
        if not text.strip():
            raise UsageError(
                f"--set {key.strip()}= gives no value (KEY=VALUE; 'null' for none where a "
                "parameter takes none)"
            )
        out[key.strip()] = parse_value(text.strip())
    return out


def read_config_file(path: str | Path) -> dict[str, Any]:
    """A YAML mapping from ``path`` (a run's ``config.yaml`` or a hand-written file)."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"config file not found: '{path}'")
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        first = " ".join(str(exc).split())[:200]
        raise UsageError(f"could not read config file '{path}': {first}") from None
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise UsageError(f"config file '{path}' must hold a mapping, not {type(content).__name__}")
    return content


def split_overrides(spec: Entry, flat: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Sort ``KEY: VALUE`` overrides into ``{"process": .., "train": .., "sample": ..}``."""
    out: dict[str, dict[str, Any]] = {s: {} for s in SECTIONS}
    known = {"process": set(spec.params), "train": set(TRAIN_KEYS), "sample": set(SAMPLE_KEYS)}
    for key, value in flat.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise UsageError(f"parameter '{key}' must be a finite number, got {value}")
        section, dot, name = key.partition(".")
        if dot and section in SECTIONS:
            if name not in known[section]:
                raise UsageError(
                    f"unknown {section} parameter '{name}' "
                    f"(valid: {', '.join(sorted(known[section]))})"
                )
            out[section][name] = value
            continue
        for section in SECTIONS:
            if key in known[section]:
                out[section][key] = value
                break
        else:
            raise UsageError(
                f"unknown parameter '{key}' for process '{spec.name}' (process: "
                f"{', '.join(sorted(spec.params))}; train: {', '.join(TRAIN_KEYS)}; "
                f"sample: {', '.join(SAMPLE_KEYS)})"
            )
    return out


def file_overrides(spec: Entry, content: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Overrides from a config file: sections ``params``/``process_params``, ``train``, ``sample``
    and any flat ``KEY: VALUE`` (resolved like ``--set``); ``process``/``data``/``n_data`` are
    read by the caller."""
    flat: dict[str, Any] = {}
    for key, value in content.items():
        if key in (
            "process",
            "process_sha256",
            "data",
            "n_data",
            "seed",
            "dmm_version",
            "world_size",
            "data_subset",
            "columns",
            "holdout",
            "context",
            "scaling",
            "table",
        ):
            continue
        if key in ("params", "train", "sample"):
            if not isinstance(value, dict):
                raise UsageError(f"config section '{key}' must be a mapping")
            section = "process" if key == "params" else key
            flat.update({f"{section}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return split_overrides(spec, flat)


def make_train_config(values: Mapping[str, Any]) -> TrainConfig:
    """A :class:`TrainConfig` from ``values``, with types coerced to the field defaults."""
    defaults = TrainConfig()
    coerced: dict[str, Any] = {}
    for key, value in values.items():
        default = getattr(defaults, key)
        try:
            coerced[key] = type(default)(value) if not isinstance(default, bool) else bool(value)
        except (TypeError, ValueError):
            raise UsageError(f"invalid value {value!r} for training parameter '{key}'") from None
        if isinstance(default, int) and isinstance(value, float) and value != int(value):
            raise UsageError(f"training parameter '{key}' must be an integer, got {value}")
    try:
        return TrainConfig(**coerced)
    except ValueError as exc:
        raise UsageError(f"invalid training parameter: {exc}") from None


def sample_settings(built: Built, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``{"sampler", "sample_steps", "denoise"}`` from the built process's defaults and
    ``overrides``."""
    out = {
        "sampler": built.default_sampler,
        "sample_steps": int(built.sample_steps),
        "denoise": built.denoise,
        **overrides,
    }
    if out["sampler"] not in built.samplers:
        raise UsageError(
            f"unknown sampler '{out['sampler']}' for process '{built.spec.name}' "
            f"(known: {', '.join(built.samplers)})"
        )
    if not isinstance(out["denoise"], bool):
        raise UsageError(f"denoise must be true or false, got {out['denoise']!r}")
    if out["denoise"]:  # refused now, not by every later sample, eval and plot
        built.process.require("denoiser", "denoise=true")
    steps = out["sample_steps"]
    if (
        isinstance(steps, bool)
        or not isinstance(steps, (int, float))
        or steps < 1
        or steps != int(steps)
    ):
        raise UsageError(f"sample_steps must be a positive integer, got {steps!r}")
    out["sample_steps"] = int(steps)
    return out
