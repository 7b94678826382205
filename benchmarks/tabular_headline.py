"""The headline tables of docs/tabular.md from benchmarks/tabular.py's JSON: per table and method
the C2ST AUC, W1 to the training and held-out rows and coverage of the held-out rows (means over
the draws), and the imputation RMSE / accuracy; bold marks the best value and those within
``--tie`` of it. The ``oracle`` row (the training rows themselves) is shown in italics and left
out of the comparison: it is the floor the held-out numbers are read against.

    python benchmarks/tabular_headline.py docs/results/tabular_3x5.json
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
    lines += ["", "| table | imputer | RMSE (scaled) | accuracy |", "|---|---|---|---|"]
    for name in tables:
        rows = report["tables"][name].get("imputation", {})
        done = {m: r["summary"] for m, r in rows.items() if r.get("summary")}
        rmse = {m: s["rmse_scaled"]["mean"] for m, s in done.items() if _mean(s, "rmse_scaled")}
        acc = {m: s["accuracy"]["mean"] for m, s in done.items() if _mean(s, "accuracy")}
        for m in done:
            a = "—" if m not in rmse else _cell(rmse[m], min(rmse.values()), True, tie)
            b = "—" if m not in acc else _cell(acc[m], max(acc.values()), False, tie)
            lines.append(f"| {name} | {m} | {a} | {b} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json", type=Path)
    ap.add_argument("--tie", type=float, default=0.01)
    args = ap.parse_args(argv)
    text = headline(json.loads(args.json.read_text()), args.tie)
    print(text)
    return text


if __name__ == "__main__":
    main()
