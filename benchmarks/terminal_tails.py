"""The terminal term of ``levy-ou`` and ``vp`` on the heavy-tailed data sets (no training).

    python benchmarks/terminal_tails.py --json docs/results/terminal_tails.json [--n 10000]
    python benchmarks/terminal_tails.py --table docs/results/terminal_tails.json   (print only)

For each set, ``n`` rows (seed 0), each process built from the CLI defaults as ``dmm train``
builds it (``levy-ou``: the jump index from the data; ``vp``: standardised data):

* ``KL``: the mean over rows of ``KL(p_{T|0}(·|x_0) || q)``. ``vp``: closed form; it is finite on
  any sample, but for data of tail index ≤ 2 its population mean is infinite, so the column also
  gives its largest row's share of the sum. ``levy-ou``: infinite (the kernel's atom, no jump by
  ``T``, has mass ``e^{-λT}`` and ``q`` has no atom) or, with a Brownian part, no closed form.
* ``TV``: the mean over rows of ``Process.terminal_tv``: for ``vp`` Pinsker per row,
  ``min(1, sqrt(KL/2))``; for ``levy-ou`` the coupling bound ``E erf(e^{-θT}|x_0 - X'| / (2
  sqrt(2v)))`` (``X' ~ q``, ``v`` the latent variance at ``T``; 256 draws per row).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import torch

from dmm.cli.config import writable_file

SETS = (
    "student-t-1.5-2d",
    "student-t-2-2d",
    "student-t-3-2d",
    "stable-1.5-2d",
    "student-t-1.5-8d",
    "student-t-2-8d",
    "student-t-3-8d",
    "stable-1.5-8d",
)


def terminal(name: str, n: int) -> dict:
    from dmm.cli.catalog import build
    from dmm.data import load_data
    from dmm.processes.base import MissingCapability

    data = load_data(name, n, torch.Generator().manual_seed(0))
    out: dict = {}
    for process, params in (("levy-ou", {"jumps": "stable"} if "stable" in name else {}),
                            ("vp", {})):  # fmt: skip
        built = build(process, data, params)
        rows = built.encode(data)
        row: dict = {}
        try:
            kl = built.process.terminal_kl(rows).double()
            row["kl"] = float(kl.mean())
            row["kl_largest_share"] = float(kl.max() / kl.sum())
        except MissingCapability as exc:
            row["kl"], row["kl_reason"] = None, str(exc)
        tv = built.process.terminal_tv(rows, torch.Generator().manual_seed(1)).double()
        row["tv"], row["tv_max"] = float(tv.mean()), float(tv.max())
        if process == "levy-ou":  # no jump by T; a Brownian part (stable jumps) spreads it
            atom = built.process.sigma == 0
            row["atom_mass"] = math.exp(-built.process.rate * built.process.T) if atom else 0.0
        out[process] = row
    return out


def table(results: dict) -> str:
    """The Markdown table of docs/studies/jumps.md."""
    lines = [
        "| data | `levy-ou` TV bound (largest row) | `vp` TV bound, Pinsker (largest row) "
        "| `vp` mean KL, nats (largest row's share) |",
        "|---|---|---|---|",
    ]
    for name, r in results.items():
        if name == "n":
            continue
        lv, vp = r["levy-ou"], r["vp"]
        lines.append(
            f"| {name} | {lv['tv']:.4f} ({lv['tv_max']:.2f}) | {vp['tv']:.4f} "
            f"({vp['tv_max']:.2f}) | {vp['kl']:.3g} ({100 * vp['kl_largest_share']:.0f}%) |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--sets", nargs="+", default=list(SETS))
    ap.add_argument("--json", type=writable_file("--json"), help="also write the results here")
    ap.add_argument("--table", type=Path, help="print the table of these results and exit")
    args = ap.parse_args()
    if args.table:
        print(table(json.loads(args.table.read_text())))
        return
    torch.set_num_threads(1)
    results: dict = {"n": args.n}
    for name in args.sets:
        results[name] = terminal(name, args.n)
        print(json.dumps({name: results[name]}), flush=True)
    print(table(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
