"""Run the demo gallery and copy its figure and metrics table into docs/ (used by README.md).

python examples/demo_gallery.py            # all panels (what `make demo` runs)
python examples/demo_gallery.py --only vp  # one panel
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from dmm.cli.main import main

ROOT = Path(__file__).resolve().parents[1]


def run() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "runs" / "demo"))
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--threads", default="1", help="torch threads (default 1, as make demo)")
    args = parser.parse_args()
    argv = ["demo", "--out", args.out, "--force", "--threads", args.threads]
    status = main(argv + [a for p in args.only for a in ("--only", p)])
    if status != 0:  # a usage error (nothing written) or a failed panel: docs/ keeps its copies
        print(f"demo_gallery: dmm demo exited with {status}; docs/ left as it was", file=sys.stderr)
        return status
    figures, results = ROOT / "docs" / "figures", ROOT / "docs" / "results"
    for folder in (figures, results):  # both before either copy: the figure and table agree
        folder.mkdir(parents=True, exist_ok=True)
    suffix = "" if not args.only else "_" + "_".join(args.only)
    shutil.copy(Path(args.out) / "gallery.png", figures / f"demo_gallery{suffix}.png")
    shutil.copy(Path(args.out) / "metrics.md", results / f"demo{suffix}.md")
    return status


if __name__ == "__main__":
    sys.exit(run())
