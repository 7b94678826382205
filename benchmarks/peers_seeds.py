"""``peers.py`` over several training seeds: each cell's mean C2ST AUC and dmm's gap to the best peer.

    python benchmarks/peers_seeds.py docs/results/peers_fitted.json \\
        docs/results/peers_fitted_seed1.json

Reads runs of ``benchmarks/peers.py`` that differ only in ``--seed`` (the training seed, the
data and reference draws and the sampling seeds all follow it). For each set and budget of
network evaluations: every method's C2ST AUC averaged over the runs, the best peer (the lowest
mean), and dmm's difference to that peer run by run (paired: the same data draws), its mean and
standard error (``sd / sqrt(runs)``). A cell counts as *at or below* when dmm's mean is at most
the best peer's. ``fm`` is left out where it equals ``icfm`` to every digit (the same regression
fed the same draws: the peers section of benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import json
import math
from collections import defaultdict
from pathlib import Path

from dmm.cli.config import writable_file


def cells(runs: list[list[dict]]) -> dict[tuple[str, int], dict[str, list[float]]]:
    """``(set, budget) -> method -> [AUC of run 0, run 1, ...]`` over the cells every run has."""
    out: dict[tuple[str, int], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for rows in runs:
        for r in rows:
            out[(r["set"], int(r["budget"]))][r["method"]].append(float(r["c2st_auc"]))
    full = {
        key: {m: v for m, v in methods.items() if len(v) == len(runs)}
        for key, methods in out.items()
    }
    for methods in full.values():
        if "fm" in methods and methods["fm"] == methods.get("icfm"):
            del methods["fm"]
    return full


def summarise(runs: list[list[dict]]) -> list[dict]:
    """One row per cell with dmm and at least one peer (module doc)."""
    rows = []
    for (name, budget), methods in cells(runs).items():
        peers = {m: v for m, v in methods.items() if m != "dmm"}
        if "dmm" not in methods or not peers:
            continue
        means = {m: sum(v) / len(v) for m, v in methods.items()}
        best = min(peers, key=lambda m: means[m])
        diff = [a - b for a, b in zip(methods["dmm"], peers[best])]
        mean = sum(diff) / len(diff)
        se = (
            math.sqrt(sum((d - mean) ** 2 for d in diff) / (len(diff) - 1) / len(diff))
            if len(diff) > 1
            else None
        )
        rows.append(
            {
                "set": name,
                "budget": budget,
                "means": means,
                "best_peer": best,
                "dmm_minus_best": mean,
                "se": se,
                "at_or_below": means["dmm"] <= means[best],
            }
        )
    return rows


def markdown(rows: list[dict], runs: int) -> str:
    methods = sorted({m for r in rows for m in r["means"]}, key=lambda m: (m != "dmm", m))
    head = "| set | evaluations | " + " | ".join(methods) + " | dmm − best peer |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        se = "" if r["se"] is None else f" ± {r['se']:.3f}"
        values = " | ".join(f"{r['means'][m]:.3f}" if m in r["means"] else "—" for m in methods)
        lines.append(
            f"| {r['set']} | {r['budget']} | {values} | "
            f"{r['dmm_minus_best']:+.3f}{se} ({r['best_peer']}) |"
        )
    below = sum(r["at_or_below"] for r in rows)
    lines.append("")
    lines.append(
        f"means over {runs} training seeds; dmm at or below the best peer in {below} of {len(rows)} cells"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="JSONs of peers.py --json")
    parser.add_argument("--json", type=writable_file("--json"))
    args = parser.parse_args(argv)
    runs = [json.loads(p.read_text())["rows"] for p in args.runs]
    rows = summarise(runs)
    print(markdown(rows, len(runs)))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return rows


if __name__ == "__main__":
    main()
