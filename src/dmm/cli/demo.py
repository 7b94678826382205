"""``dmm demo``: the gallery of every process family (``make demo``)."""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
from pathlib import Path

from .config import seed_argument
from .errors import UsageError

GALLERY_FILES = ("gallery.png", "metrics.md", "metrics.json")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="run the demo gallery (one panel per process family)",
        description="Train, sample and evaluate one small model per process "
        "family; writes gallery.png, metrics.md and metrics.json.",
    )
    p.add_argument("--out", default="runs/demo", help="output folder (default runs/demo)")
    p.add_argument("--quick", action="store_true", help="tiny budgets (a smoke test)")
    p.add_argument("--force", action="store_true", help="overwrite an existing output folder")
    p.add_argument(
        "--only",
        action="extend",
        nargs="+",
        metavar="PANEL",
        help="run only these panels (--only so3 digits, or the flag repeated)",
    )
    p.add_argument("--seed", type=seed_argument, default=0, help="seed of every panel (default 0)")
    p.set_defaults(func=run)


#: the modules of each package extra a demo panel may need (pyproject.toml)
EXTRA_MODULES = {
    "plot": ("matplotlib", "PIL"),
    "metrics": ("sklearn", "scipy"),  # pot is optional: the table metrics do without it
    "tabular": ("palmerpenguins",),
}


def missing_extras(panels: list) -> list[str]:
    """The extras (``plot`` and the panels' ``needs``) with a module that is not installed."""
    wanted = ["plot", *(extra for p in panels for extra in p.needs)]
    return [
        extra
        for extra in dict.fromkeys(wanted)
        if any(importlib.util.find_spec(m) is None for m in EXTRA_MODULES[extra])
    ]


def _earlier_panels(out: Path) -> set[str]:
    """The panels an earlier ``dmm demo`` wrote into ``out`` (its ``metrics.json``)."""
    try:
        table = json.loads((out / "metrics.json").read_text())
        return {str(p["name"]) for p in table["panels"]}
    except (OSError, ValueError, KeyError, TypeError):
        return set()


def run(args: argparse.Namespace) -> int:
    from ..demo import PANELS
    from ..demo.runner import run_gallery

    panels = list(PANELS)
    if args.only:
        names = [p.name for p in panels]
        unknown = [n for n in args.only if n not in names]
        if unknown:
            raise UsageError(f"unknown demo panel(s) {unknown} (known: {', '.join(names)})")
        panels = [p for p in panels if p.name in args.only]
    if not panels:
        raise UsageError("no demo panels are registered")
    missing = missing_extras(panels)
    if missing:
        runnable = [p.name for p in panels if not missing_extras([p])]
        raise UsageError(
            f"dmm demo needs the {', '.join(missing)} extra{'s' if len(missing) > 1 else ''}: "
            f"pip install 'denoising-markov-models[{','.join(missing)}]'"
            + (f" (or --only {' '.join(runnable)})" if runnable else "")
        )
    out = Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        if not args.force:
            raise UsageError(f"demo folder '{out}' already exists; use --force to overwrite it")
        if not out.is_dir():
            raise UsageError(f"'{out}' is a file, not a folder")
        # remove the panels' folders: this run's, and an earlier demo run's (listed in its
        # metrics.json) that this one leaves out, since the gallery and the tables describe this
        # run's panels; the gallery files; nothing else of the folder (a folder of the user's
        # that merely has a panel's name stays)
        earlier = _earlier_panels(out)
        stale = [p.name for p in PANELS if p not in panels and p.name in earlier]
        for name in [p.name for p in panels] + stale:
            if (out / name).is_dir():
                shutil.rmtree(out / name)
        for name in GALLERY_FILES:
            (out / name).unlink(missing_ok=True)
        if stale:
            print(f"note: removed the earlier run's {', '.join(stale)} (not in --only)", flush=True)
    records = run_gallery(out, panels, quick=args.quick, seed=args.seed)
    return 0 if all(r["status"] == "ok" for r in records) else 1
