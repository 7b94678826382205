"""The headline tables of docs/tabular.md from benchmarks/tabular.py's JSON: per table and method
the C2ST AUC, W1 to the training and held-out rows and coverage of the held-out rows (means over
the draws), and the imputation RMSE / accuracy; bold marks the best value and those within
``--tie`` of it. The ``oracle`` row (the training rows themselves) is shown in italics and left
out of the comparison: it is the floor the held-out numbers are read against.

    python benchmarks/tabular_headline.py docs/results/tabular_3x5.json
    python benchmarks/tabular_headline.py docs/results/tabular_3x5.json \
        --with docs/results/tabular_context_3x5.json

``--with FILE`` (repeatable) lays the methods and imputers of a later run of the same protocol
(the same splits, draws and hidden cells) over the first file's, replacing those of the same name:
e.g. ``dmm`` rerun alone after a change, beside the peers of the full run. Runs whose protocol
settings differ are refused.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

#: the reference row: the training rows as the synthetic table
ORACLE = "oracle"
#: metric, column title, whether lower is better
METRICS = (
    ("c2st_auc", "C2ST AUC", None),  # best: closest to 0.5
    ("w1_train", "W1 train", True),
    ("w1_test", "W1 test", True),
    ("coverage_test", "coverage test", False),
)


def _mean(summary: dict, key: str) -> bool:
    """Whether ``summary`` has a mean for ``key`` (a failed or skipped method has none)."""
    return (summary.get(key) or {}).get("mean") is not None


def _best(values: dict[str, float], lower: bool | None) -> float:
    if lower is None:
        return min(abs(v - 0.5) for v in values.values())
    return min(values.values()) if lower else max(values.values())


def _cell(value: float, best: float, lower: bool | None, tie: float) -> str:
    gap = abs(abs(value - 0.5) - best) if lower is None else abs(value - best)
    text = f"{value:.3f}"
    return f"**{text}**" if gap <= tie else text


def headline(report: dict, tie: float) -> str:
    tables = [name for name, t in report["tables"].items() if "methods" in t]
    lines = ["| table | method | " + " | ".join(title for _, title, _ in METRICS) + " |"]
    lines.append("|---|---|" + "---|" * len(METRICS))
    for name in tables:
        methods = {
            m: r["summary"]
            for m, r in report["tables"][name]["methods"].items()
            if r.get("summary")
        }
        means = {
            key: {m: s[key]["mean"] for m, s in methods.items() if s.get(key)}
            for key, _, _ in METRICS
        }
        for m in methods:
            cells = []
            for key, _, lower in METRICS:
                value = means[key].get(m)
                rivals = {k: v for k, v in means[key].items() if k != ORACLE}
                if value is None:
                    cells.append("—")
                elif m == ORACLE:
                    cells.append(f"*{value:.3f}*")
                else:
                    cells.append(_cell(value, _best(rivals, lower), lower, tie))
            label = f"*{m}*" if m == ORACLE else m
            lines.append(f"| {name} | {label} | " + " | ".join(cells) + " |")
    parts = [
        report["tables"][name].get("imputation", {}).get(m, {}).get("summary") or {}
        for name in tables
        for m in report["tables"][name].get("imputation", {})
    ]
    by_column = any(_mean(s, "column_accuracy") for s in parts)
    head = "| table | imputer | RMSE (scaled) | accuracy |"
    lines += ["", head + (" accuracy, one column at a time |" if by_column else "")]
    lines.append("|---|---|---|---|" + ("---|" if by_column else ""))
    for name in tables:
        rows = report["tables"][name].get("imputation", {})
        done = {m: r["summary"] for m, r in rows.items() if r.get("summary")}
        rmse = {m: s["rmse_scaled"]["mean"] for m, s in done.items() if _mean(s, "rmse_scaled")}
        acc = {m: s["accuracy"]["mean"] for m, s in done.items() if _mean(s, "accuracy")}
        col = {
            m: s["column_accuracy"]["mean"] for m, s in done.items() if _mean(s, "column_accuracy")
        }
        for m in done:
            a = "—" if m not in rmse else _cell(rmse[m], min(rmse.values()), True, tie)
            b = "—" if m not in acc else _cell(acc[m], max(acc.values()), False, tie)
            cells = [a, b]
            if by_column:
                cells.append("—" if m not in col else _cell(col[m], max(col.values()), False, tie))
            lines.append(f"| {name} | {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


#: the settings that make two runs' numbers comparable row by row
PROTOCOL = ("splits", "generations", "hide", "diamonds_rows")


def overlay(report: dict, later: dict, source: str) -> dict:
    """``report`` with the methods and imputers of ``later`` (same protocol) replacing its own."""
    for key in PROTOCOL:
        a, b = report["settings"].get(key), later["settings"].get(key)
        if a != b:
            raise SystemExit(f"{source}: setting {key} = {b!r}, the first file's is {a!r}")
    for name, table in later["tables"].items():
        if name not in report["tables"]:
            raise SystemExit(f"{source}: table {name} is not in the first file")
        mine = report["tables"][name]
        for part in ("methods", "imputation"):
            mine.setdefault(part, {}).update(table.get(part, {}))
    return report


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json", type=Path)
    ap.add_argument("--with", dest="later", type=Path, action="append", default=[])
    ap.add_argument("--tie", type=float, default=0.01)
    args = ap.parse_args(argv)
    report = json.loads(args.json.read_text())
    for path in args.later:
        report = overlay(report, json.loads(path.read_text()), str(path))
    text = headline(report, args.tie)
    print(text)
    return text


if __name__ == "__main__":
    main()
