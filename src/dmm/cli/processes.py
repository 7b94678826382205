"""``dmm processes [NAME]``: the registered processes with their parameters and defaults; with
``NAME``, one process's parameters, each with its default, its choices (a string parameter with a
fixed set of values) and a sentence saying what it does."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, fields
from typing import Any

from ..training import TrainConfig
from .catalog import PROCESSES, ProcessSpec
from .catalog.spec import SAMPLE_HELP
from .catalog.tabular import NAME as TABULAR
from .catalog.tabular import SAMPLER, SPLIT, TabularEntry
from .catalog.user import USER_PARAMS
from .errors import UsageError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "processes",
        help="list the registered processes, or explain one process's parameters",
        description="List every registered process with its parameters, samplers and defaults; "
        "with NAME, explain each parameter of that process (override them with dmm train "
        "--set KEY=VALUE).",
    )
    p.add_argument("name", nargs="?", metavar="NAME", help="a registered process to explain")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=run)


def describe() -> list[dict]:
    """One record per registered process, in name order."""
    base = asdict(TrainConfig())
    return [
        {
            "name": s.name,
            "summary": s.summary,
            "params": dict(s.params),
            "choices": {k: list(v) for k, v in s.choices.items()},
            "samplers": list(s.samplers),
            "default_sampler": s.default_sampler,
            "sample_steps": s.sample_steps,
            "train_defaults": {k: v for k, v in s.train_defaults.items() if base.get(k) != v},
        }
        for s in sorted(PROCESSES.values(), key=lambda s: s.name)
    ]


def explain(name: str) -> dict[str, Any]:
    """Process ``name``'s parameters in three groups (``process``, ``sample``, ``train``), each
    ``{key: {"default": value, "help": sentence}}``, a process parameter with declared choices
    with ``"choices": [...]`` too; :class:`UsageError` listing the known names for an unknown
    ``name``."""
    if name == TABULAR:
        return _explain_tabular()
    if name not in PROCESSES:
        known = ", ".join(sorted([*PROCESSES, TABULAR]))
        raise UsageError(f"unknown process '{name}' (known: {known})")
    spec: ProcessSpec = PROCESSES[name]
    train = {
        f.name: {"default": spec.train_defaults.get(f.name, f.default), "help": f.metadata["help"]}
        for f in fields(TrainConfig)
    }
    sample_defaults = {
        "sampler": spec.default_sampler,
        "sample_steps": spec.sample_steps,
        "denoise": spec.denoise,
    }
    return {
        "name": spec.name,
        "summary": spec.summary,
        "samplers": list(spec.samplers),
        "process": {
            k: {
                "default": v,
                "help": spec.help.get(k, ""),
                **({"choices": list(spec.choices[k])} if k in spec.choices else {}),
            }
            for k, v in spec.params.items()
        },
        "sample": {k: {"default": v, "help": SAMPLE_HELP[k]} for k, v in sample_defaults.items()},
        "train": train,
    }


def _explain_tabular() -> dict[str, Any]:
    """The ``tabular`` entry: its parameters and the process each column type gets."""
    from ..tabular.schema import TYPES

    entry = TabularEntry()
    train = {
        f.name: {"default": f.default, "help": f.metadata["help"]} for f in fields(TrainConfig)
    }
    sample_defaults = {"sampler": SAMPLER, "sample_steps": 500, "denoise": True}
    return {
        "name": entry.name,
        "summary": entry.summary,
        "samplers": [SAMPLER, SPLIT],
        "column_types": dict(TYPES),
        "process": {k: {"default": v, "help": entry.help[k]} for k, v in entry.params.items()},
        "sample": {k: {"default": v, "help": SAMPLE_HELP[k]} for k, v in sample_defaults.items()},
        "train": train,
    }


def _value(v: Any) -> str:
    """A default as ``--set`` reads it back (YAML scalars)."""
    if isinstance(v, bool):
        return str(v).lower()
    if v is None:
        return "null"
    if v == "":
        return "''"
    return str(v)


def _print_group(title: str, group: dict[str, dict[str, Any]]) -> None:
    print(title)
    keys = {k: f"{k}={_value(e['default'])}" for k, e in group.items()}
    width = max(map(len, keys.values()))
    for k, e in group.items():
        choices = f"({' | '.join(e['choices'])}): " if "choices" in e else ""
        print(f"  {keys[k]:<{width}}  {choices}{e['help']}".rstrip())


def _print_one(r: dict[str, Any]) -> None:
    print(f"{r['name']}: {r['summary']}")
    samplers = ", ".join(
        f"{s}{' (default)' if s == r['sample']['sampler']['default'] else ''}"
        for s in r["samplers"]
    )
    print(f"samplers: {samplers}")
    if "column_types" in r:
        print("\ncolumn types (inferred from the table, or --schema FILE with COLUMN: TYPE):")
        width = max(map(len, r["column_types"]))
        for kind, text in r["column_types"].items():
            print(f"  {kind:<{width}}  {text}")
    _print_group("\nprocess parameters (dmm train --set KEY=VALUE):", r["process"])
    _print_group("\nsampling parameters (defaults of dmm sample/eval/plot):", r["sample"])
    _print_group("\ntraining parameters:", r["train"])


def run(args: argparse.Namespace) -> int:
    if args.name is not None:
        record = explain(args.name)
        if args.json:
            print(json.dumps(record, indent=2, default=str))
        else:
            _print_one(record)
        return 0
    records = describe()
    if args.json:
        print(json.dumps(records, indent=2, default=str))
        return 0
    for r in records:
        print(f"{r['name']}: {r['summary']}")
        print("  params:   " + ", ".join(f"{k}={_value(v)}" for k, v in r["params"].items()))
        samplers = ", ".join(
            f"{s}{' (default)' if s == r['default_sampler'] else ''}" for s in r["samplers"]
        )
        print(f"  samplers: {samplers}; {r['sample_steps']} steps")
        if r["train_defaults"]:
            print("  training: " + ", ".join(f"{k}={v}" for k, v in r["train_defaults"].items()))
    base = ", ".join(f"{k}={v}" for k, v in asdict(TrainConfig()).items())
    print(f"\ntraining parameters (all processes, override with --set): {base}")
    print("sampling parameters: sampler, sample_steps, denoise")
    print(
        "your own process: --process FILE.py:NAME or package.module:NAME (NAME a Process or a "
        "factory taking the data); params: hidden={hidden}, depth={depth}, t_min (default: the "
        "process's own); sampler: default (the recipe's)".format(**USER_PARAMS)
    )
    print(
        f"tables: --process tabular --data TABLE.csv ({TabularEntry().summary}); "
        "dmm processes tabular"
    )
    print("dmm processes NAME explains one process's parameters")
    return 0
