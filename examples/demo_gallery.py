"""Run the demo gallery and copy its figure and metrics table into docs/ (used by README.md).

python examples/demo_gallery.py            # all panels, copied into docs/figures and docs/results
python examples/demo_gallery.py --only vp  # one panel
python examples/demo_gallery.py --copy-to /tmp/gallery  # copies into /tmp/gallery/{figures,results}

`make demo` runs the same gallery (``dmm demo --out runs/demo --force --threads 1``) but copies
nothing into docs/.
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
    parser.add_argument(
        "--copy-to",
        type=Path,
        default=ROOT / "docs",
        metavar="DIR",
        help="copy the figure into DIR/figures and the table into DIR/results (default: docs/ of "
        "this repository, the committed copies)",
    )
    args = parser.parse_args()
    figures, results = args.copy_to / "figures", args.copy_to / "results"
    try:  # before the demo, not after it: both folders, so that the figure and table agree
        for folder in (figures, results):
            folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        parser.error(f"--copy-to cannot make {exc.filename!r}: {exc.strerror}")
    argv = ["demo", "--out", args.out, "--force", "--threads", args.threads]
    status = main(argv + [a for p in args.only for a in ("--only", p)])
    if status != 0:  # a usage error (nothing written) or a failed panel: docs/ keeps its copies
        print(
            f"demo_gallery: dmm demo exited with {status}; {args.copy_to} left as it was",
            file=sys.stderr,
        )
        return status
    suffix = "" if not args.only else "_" + "_".join(args.only)
    shutil.copy(Path(args.out) / "gallery.png", figures / f"demo_gallery{suffix}.png")
    shutil.copy(Path(args.out) / "metrics.md", results / f"demo{suffix}.md")
    return status


if __name__ == "__main__":
    sys.exit(run())
