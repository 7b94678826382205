"""A table as users bring it: an order log with an identifier per row, dates, amounts in dollars,
percentages, a `?` where a discount is unknown, and empty cells.

    python examples/tabular_orders.py                  # 2-3 minutes of one CPU core
    python examples/tabular_orders.py --out runs/orders --steps 5000 --force   # again, anew

Writes `orders.csv` (1 000 generated orders) and `heldout.csv` (its last 200 rows) to `--out`,
reads it back as `dmm train --data` does (the `?` cells of a column of numbers become empty
cells, with a note), prints the inferred schema, fits `TabularModel` on 800 rows, writes `synthetic.csv` (written as the data is: new
order identifiers, dates in the data's format, dollar amounts) and `filled.csv` (the 200 held-out
rows with a fifth of their cells hidden, then filled), and prints the table metrics of the
synthetic rows against the held-out ones. `dmm sample` reads the run folder it saves
(`--out`/run); `dmm eval` and `dmm plot` take the held-out rows it writes, `--data
OUT/heldout.csv` (the model was fitted on a DataFrame and kept no rows out itself).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from dmm.cli.config import positive_whole
from dmm.tabular import TabularModel, infer_schema, read_table, write_table
from dmm.tabular.metrics import evaluate

SEGMENTS = ("consumer", "corporate", "home office")
#: the fewest orders the example runs on: a held-out fifth of 10 rows (the C2ST AUC's least)
MIN_ROWS = 50


def orders(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` orders: the amount grows with the items and the segment, the discount with the
    amount; some segments are not recorded and some discounts are unknown (``?``)."""
    rng = np.random.default_rng(seed)
    segment = rng.choice(SEGMENTS, n, p=[0.55, 0.3, 0.15])
    items = rng.integers(1, 7, n)
    scale = np.select([segment == "corporate", segment == "home office"], [4.0, 1.5], 1.0)
    amount = np.round(items * scale * np.exp(rng.normal(3.5, 0.6, n)), 2)
    discount = np.clip(np.round(2 + 4 * np.log10(amount) + rng.normal(0, 2, n)), 0, 40)
    placed = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 366, n), unit="D")
    frame = pd.DataFrame(
        {
            "order": [f"ord-{i:05d}" for i in range(1, n + 1)],
            "placed": placed.strftime("%Y-%m-%d"),
            "segment": segment,
            "items": items,
            "amount": [f"${a:,.2f}" for a in amount],
            "discount": [f"{d:.0f}%" for d in discount],
            "shipped": np.where(rng.random(n) < 0.9, "yes", "no"),
        }
    )
    frame.loc[rng.random(n) < 0.05, "segment"] = None
    frame.loc[rng.random(n) < 0.04, "discount"] = "?"
    return frame


def hide(frame: pd.DataFrame, share: float, seed: int) -> pd.DataFrame:
    """``frame`` with ``share`` of its filled cells emptied at random (never the identifier)."""
    rng = np.random.default_rng(seed)
    out = frame.copy().astype(object)
    cells = frame.notna().to_numpy() & (rng.random(frame.shape) < share)
    cells[:, list(frame.columns).index("order")] = False
    return out.mask(cells)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--out",
        default="runs/orders",
        help="folder of the CSVs and of the model's run/ (default: %(default)s; run/ must be new "
        "unless --force)",
    )
    ap.add_argument("--force", action="store_true", help="replace OUT/run/, a model fitted before")
    ap.add_argument("--steps", type=positive_whole("--steps"), default=3000)
    ap.add_argument(
        "--rows",
        type=int,
        default=1000,
        help=f"orders generated (default: %(default)s; {MIN_ROWS}+)",
    )
    ap.add_argument("--sample-steps", type=positive_whole("--sample-steps"), default=None)
    args = ap.parse_args(argv)
    if args.rows < MIN_ROWS:
        ap.error(
            f"--rows must be at least {MIN_ROWS}, got {args.rows}: the held-out fifth needs 10 rows "
            "for the C2ST AUC (and the order column 20 to read as identifiers)"
        )
    out = Path(args.out)
    if (out / "run").is_dir() and any((out / "run").iterdir()) and not args.force:
        ap.error(
            f"{out / 'run'} exists (a model fitted before): give a new --out, or --force to "
            "replace it"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        ap.error(f"--out cannot make {args.out!r}: {exc.strerror}")
    torch.set_num_threads(1)
    if args.force and (out / "run").exists():
        shutil.rmtree(out / "run")
    write_table(orders(args.rows), out / "orders.csv")
    table = read_table(out / "orders.csv")
    for note in table.attrs["notes"]:
        print(f"note: {note}")
    cut = int(0.8 * len(table))
    train, test = table.iloc[:cut].reset_index(drop=True), table.iloc[cut:].reset_index(drop=True)
    write_table(test, out / "heldout.csv")  # for dmm eval / dmm plot RUN --data OUT/heldout.csv

    # the schema of the whole file, as `dmm train` reads it: new order identifiers are numbered
    # after every row's, the held-out ones too (from the training rows alone they were the
    # held-out rows' own)
    model = TabularModel(
        steps=args.steps,
        seed=0,
        sample_steps=args.sample_steps,
        run_dir=out / "run",
        schema=infer_schema(table),
    )
    model.fit(train)
    print(f"schema ({len(train)} training rows):\n{model.schema_.describe()}")
    synthetic = model.sample(len(test), seed=1)
    write_table(synthetic, out / "synthetic.csv")
    print(f"\nsynthetic rows (of {len(synthetic)}; {out / 'synthetic.csv'}):")
    print(synthetic.head(5).to_string(index=False))

    holes = hide(test, 0.2, seed=2)
    filled = model.impute(holes, seed=3, draws=5)
    write_table(filled, out / "filled.csv")
    print(f"\nheld-out rows with cells hidden, then filled ({out / 'filled.csv'}):")
    print(holes.head(3).to_string(index=False))
    print(filled.head(3).to_string(index=False))

    schema = model.schema_
    view = [schema.comparable(f) for f in (train, test, synthetic)]
    result = evaluate(*view, schema.kinds(), seed=0, null_permutations=0)
    metrics = {k: result[k] for k in ("c2st_auc", "w1_test", "coverage_test", "column_shape")}
    print(
        "\nsynthetic against held-out rows: "
        + ", ".join(f"{k} {v:.3f}" for k, v in metrics.items())
    )
    return {"schema": schema, "synthetic": synthetic, "filled": filled, "holes": holes, **metrics}


if __name__ == "__main__":
    main()
