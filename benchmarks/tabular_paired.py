"""Two methods of benchmarks/tabular.py compared split by split, pooled over several of its runs.

    python benchmarks/tabular_paired.py --table wine --methods dmm forest-vp \
        docs/results/tabular_3x5.json docs/results/tabular_context_3x5.json \
        docs/results/tabular_wine_splits3-9.json

Each run file holds some splits (``--splits``, ``--first-split``) of the same protocol; a later
file's split replaces an earlier file's for the same method. Per split: each method's mean of
``--metric`` over its draws (the C2ST AUC by default, read as ``|AUC - 0.5|`` with ``--distance``,
the default for the AUC); then the mean over splits of each method and of the per-split
difference ``first - second``, with the standard error of that difference over the splits. Both
methods see the same training and held-out rows on a split, so the difference is paired: what
one split's held-out rows make easy or hard cancels.

``--second-files`` reads the second method from other runs: one method under two settings,

    python benchmarks/tabular_paired.py --table diamonds --methods dmm dmm --labels ordered default \
        docs/results/tabular_diamonds_ordered_3x3.json \
        --second-files docs/results/tabular_diamonds_default_3x3.json --distance no
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path


def per_split(files: list[Path], table: str, method: str, metric: str) -> dict[int, list[float]]:
    """Split → the method's ``metric`` per draw, the last file that has the split winning."""
    out: dict[int, list[float]] = {}
    for path in files:
        report = json.loads(path.read_text())
        rec = report["tables"].get(table, {}).get("methods", {}).get(method)
        if not rec or rec.get("status") != "ok":
            continue
        mine: dict[int, list[float]] = {}
        for g in rec.get("generations", []):
            if g.get(metric) is not None:
                mine.setdefault(int(g["split"]), []).append(float(g[metric]))
        out.update(mine)
    return out


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--table", required=True)
    ap.add_argument("--methods", nargs=2, required=True, metavar=("FIRST", "SECOND"))
    ap.add_argument(
        "--second-files", nargs="+", type=Path, help="the second method's runs (default: FILES)"
    )
    ap.add_argument("--labels", nargs=2, metavar=("FIRST", "SECOND"), help="default: the methods")
    ap.add_argument("--metric", default="c2st_auc")
    ap.add_argument(
        "--distance",
        choices=("auto", "yes", "no"),
        default="auto",
        help="compare |value - 0.5| (auto: for the C2ST AUC)",
    )
    args = ap.parse_args(argv)
    distance = args.distance == "yes" or (args.distance == "auto" and args.metric == "c2st_auc")
    first = per_split(args.files, args.table, args.methods[0], args.metric)
    second = per_split(args.second_files or args.files, args.table, args.methods[1], args.metric)
    labels = args.labels or args.methods
    splits = sorted(set(first) & set(second))
    if len(splits) < 2:
        raise SystemExit(f"fewer than two splits with both {args.methods}: {splits}")

    def mean(values: list[float]) -> float:
        values = [abs(v - 0.5) for v in values] if distance else values
        return sum(values) / len(values)

    a, b = [mean(first[s]) for s in splits], [mean(second[s]) for s in splits]
    diff = [x - y for x, y in zip(a, b, strict=True)]
    d_mean = sum(diff) / len(diff)
    d_se = math.sqrt(sum((d - d_mean) ** 2 for d in diff) / (len(diff) - 1) / len(diff))
    what = f"|{args.metric} - 0.5|" if distance else args.metric
    lines = [f"{args.table}: {what}, mean over each split's draws"]
    lines += [
        f"| split | {labels[0]} | {labels[1]} | difference |",
        "|---|---|---|---|",
    ]
    for s, x, y, d in zip(splits, a, b, diff, strict=True):
        lines.append(f"| {s} | {x:.3f} | {y:.3f} | {d:+.3f} |")
    lines.append(
        f"| mean of {len(splits)} | {sum(a) / len(a):.3f} | {sum(b) / len(b):.3f} "
        f"| {d_mean:+.3f} ± {d_se:.3f} |"
    )
    text = "\n".join(lines)
    print(text)
    return text


if __name__ == "__main__":
    main()
