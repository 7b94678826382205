"""``dmm processes``: the registered processes with their parameters and defaults."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from ..training import TrainConfig
from .catalog import PROCESSES
from .catalog.user import USER_PARAMS


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "processes",
        help="list the registered processes and their parameters",
        description="List every registered process with its parameters, samplers "
        "and defaults (override them with dmm train --set KEY=VALUE).",
    )
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
            "samplers": list(s.samplers),
            "default_sampler": s.default_sampler,
            "sample_steps": s.sample_steps,
            "train_defaults": {k: v for k, v in s.train_defaults.items() if base.get(k) != v},
        }
        for s in sorted(PROCESSES.values(), key=lambda s: s.name)
    ]


def run(args: argparse.Namespace) -> int:
    records = describe()
    if args.json:
        print(json.dumps(records, indent=2, default=str))
        return 0
    for r in records:
        print(f"{r['name']}: {r['summary']}")
        print("  params:   " + ", ".join(f"{k}={v}" for k, v in r["params"].items()))
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
    return 0
