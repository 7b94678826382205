"""How well does the Hill estimate read a data set's tail index, and from how many of its top rows?

    python benchmarks/tail_index_estimates.py --json docs/results/tail_index_estimates.json

``levy-ou``'s ``nu=0`` / ``alpha=0`` matches its jump law to the data by the Hill estimate of the
tail index of ``|x|`` from the top 1% of the rows (:func:`dmm.cli.catalog.jumps.data_tail_index`),
and its ``tail-potential`` model pins the samples' far tail to that index (docs/studies/jumps.md, Heavy
tails). For each data set this draws ``--draws`` samples of ``--n`` rows and reports, per fraction
``k/n`` of top rows, the mean and standard deviation of the estimate and the error it makes far
out: if the index is ``α̂`` and the true one ``α``, a power tail extrapolated from the 0.99 quantile
of ``|x|`` to the 0.9999 quantile is off by ``|1/α̂ - 1/α| log 100`` in log (the root mean square
over the draws is reported as ``logerr``). Data: the heavy-tail protocol's eight sets, and three
families it was not chosen on: a lighter Student-t (ν = 4, 4-D), the Cauchy law in 4-D, and a
contaminated tail (2-D: 90% standard normal, 10% Student-t with ν = 2). One thread, about a minute.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable

import torch

from dmm.cli.config import writable_file
from dmm.data import load_data
from dmm.data.heavy_tails import student_t
from dmm.metrics.tails import hill_index

PROTOCOL = [
    f"{law}-{index}-{d}d"
    for d in (2, 8)
    for law, index in (
        ("student-t", "1.5"),
        ("student-t", "2"),
        ("student-t", "3"),
        ("stable", "1.5"),
    )
]
FRACTIONS = (0.01, 0.02, 0.03, 0.05, 0.10)


def contaminated(n: int, g: torch.Generator) -> torch.Tensor:
    """90% ``N(0, I_2)``, 10% Student-t with ν = 2 (tail index 2, from a tenth of the rows)."""
    x = torch.randn(n, 2, generator=g)
    heavy = torch.rand(n, generator=g) < 0.1
    x[heavy] = student_t(int(heavy.sum()), g, 2.0, 2)
    return x


def cases() -> dict[str, tuple[Callable[[int, torch.Generator], torch.Tensor], float]]:
    out = {
        name: (lambda n, g, name=name: load_data(name, n, g), float(name.split("-")[-2]))
        for name in PROTOCOL
    }
    out["student-t-4-4d (held out)"] = (lambda n, g: student_t(n, g, 4.0, 4), 4.0)
    out["cauchy-4d (held out)"] = (lambda n, g: student_t(n, g, 1.0, 4), 1.0)
    out["normal + 10% student-t-2, 2d (held out)"] = (contaminated, 2.0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000, help="rows per draw (the protocol's 20 000)")
    ap.add_argument("--draws", type=int, default=20)
    ap.add_argument("--json", type=writable_file("--json"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    rows = []
    for name, (draw, true) in cases().items():
        est = {f: [] for f in FRACTIONS}
        for seed in range(args.draws):
            x = draw(args.n, torch.Generator().manual_seed(seed))
            for f in FRACTIONS:
                est[f].append(hill_index(x, f))
        for f, values in est.items():
            v = torch.tensor(values, dtype=torch.float64)
            logerr = float(((1 / v - 1 / true) ** 2).mean().sqrt()) * math.log(100)
            rows.append(
                {
                    "data": name,
                    "index": true,
                    "fraction": f,
                    "mean": float(v.mean()),
                    "sd": float(v.std()),
                    "logerr": logerr,
                }
            )
    print("| data (index) | " + " | ".join(f"top {round(100 * f)}%" for f in FRACTIONS) + " |")
    print("|---" * (len(FRACTIONS) + 1) + "|")
    for name, (_, true) in cases().items():
        mine = [r for r in rows if r["data"] == name]
        cells = [f"{r['mean']:.2f} ± {r['sd']:.2f} ({r['logerr']:.2f})" for r in mine]
        print(f"| {name} ({true:g}) | " + " | ".join(cells) + " |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        with open(args.json, "w") as fh:
            json.dump(
                {
                    "command": "python benchmarks/tail_index_estimates.py",
                    "n": args.n,
                    "draws": args.draws,
                    "rows": rows,
                },
                fh,
                indent=2,
            )


if __name__ == "__main__":
    main()
