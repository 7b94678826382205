"""``dmm data``: the built-in data sets, each with the shape of one draw, its dtype, the state
space it lies in and a one-line description (the :class:`~dmm.data.registry.DatasetInfo` declared
next to its registration)."""

from __future__ import annotations

import argparse
import json

import torch

from ..data.registry import BUILTIN_DATASETS, DATASET_INFO


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "data",
        help="list the built-in data sets",
        description="List the built-in data sets (dmm train --data NAME) with the shape of one "
        "draw, its dtype, its state space and a one-line description.",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=run)


def describe() -> list[dict]:
    """One record per built-in data set, in name order. A set registered without a
    :class:`~dmm.data.registry.DatasetInfo` gets its shape and dtype from a draw of two rows, and
    no space or description."""
    records = []
    for name in sorted(BUILTIN_DATASETS):
        info = DATASET_INFO.get(name)
        if info is not None:
            shape, dtype = info.shape, info.dtype
            space, support, description = info.space.name, info.space.support_text, info.description
        else:
            x = BUILTIN_DATASETS[name](2, torch.Generator().manual_seed(0))
            shape, dtype, space, support, description = (
                tuple(x.shape[1:]),
                x.dtype,
                None,
                None,
                None,
            )
        records.append(
            {
                "name": name,
                "shape": list(shape),
                "dtype": str(dtype).removeprefix("torch."),
                "space": space,
                "support": support,
                "description": description,
            }
        )
    return records


def run(args: argparse.Namespace) -> int:
    records = describe()
    if args.json:
        print(json.dumps(records, indent=2))
        return 0
    rows = [
        (
            r["name"],
            str(tuple(r["shape"])),
            r["dtype"],
            r["space"] or "?",
            r["description"] or "(registered without a description)",
        )
        for r in records
    ]
    header = ("name", "shape", "dtype", "space", "description")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    for row in [header, *rows]:
        print("  ".join(f"{cell:<{w}}" for cell, w in zip(row, widths)) + "  " + row[4])
    print("\nuse: dmm train --data NAME (drawn with --n-data rows from --seed)")
    from ..tabular.datasets import TABLES

    width = max(map(len, TABLES))
    print("\ntables (dmm train --process tabular --data NAME; all rows, or --n-data of them):")
    for name, table in TABLES.items():
        print(
            f"  {name:<{width}}  {table.description} (target {table.target}; needs the {table.extra} extra)"
        )
    return 0
