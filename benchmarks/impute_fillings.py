"""Does averaging more fillings, or resampling each step, close `dmm`'s imputation gap to k-NN?
Fits `TabularModel()` with ``benchmarks/tabular.py``'s settings on each split of a built-in table
(seeded the same way), hides the same 20% of the held-out cells, and scores the cell-wise mean /
mode of ``K`` fillings for each ``--draws K`` and each ``--resample U`` (RePaint's ``U`` repeats of
every sampler step; fillings stacked in one sampler call, seed = the split) next to k-NN's:

    python benchmarks/impute_fillings.py --table iris --draws 10 50 100 --json docs/results/impute_fillings_iris.json
    python benchmarks/impute_fillings.py --table wine --draws 10 --resample 1 4 --json ...

RMSE in training-range units over the hidden numeric cells (as ``tabular.py``), accuracy over the
hidden categorical cells, and the target column's accuracy with all its held-out cells hidden
(``--impute-columns``' protocol, one column). One thread; about 2 minutes per fit on iris.

``--sample-steps S ...`` fills with each sampler step count from the same fit. ``--real`` also
fits ``dmm`` with the positive columns declared ``real`` (VP instead of geometric OU);
``--score-hidden`` with a loss that scores only the cells the context does not show;
``--variants real+score-hidden ...`` fits such sets together (``--no-default``: the variants
only);
``--ordered`` with diamonds' ordered levels declared as ordinals (``--rows N``: a seeded
subsample, as ``tabular.py --diamonds-rows``). ``--steps S ...`` fits one model per training
budget (default: the model's 5 000 steps; each imputer's name then says its steps).
``--first-split F`` runs splits ``F, F+1, ...``; ``--summarise A.json B.json`` trains nothing and
prints the means over the splits of several runs, with each imputer's difference to k-NN (or to
the imputer ``--against`` names) split by split (paired: the same hidden cells) and its standard
error:

    python benchmarks/impute_fillings.py --table iris --draws 10 --splits 7 --first-split 3 \
        --json docs/results/impute_iris_splits3-9.json
    python benchmarks/impute_fillings.py --summarise docs/results/impute_resample_iris.json \
        docs/results/impute_iris_splits3-9.json
"""

from __future__ import annotations

import argparse
import json
from functools import partial

import numpy as np
import torch

from dmm.cli.config import positive_whole, writable_file
from dmm.tabular import TabularModel
from tabular import (
    conform,
    hide_cells,
    imputation_scores,
    impute_knn,
    kinds_of,
    load_table,
    ordered_schema,
    real_schema,
    seed_everything,
    split_rows,
)

METRICS = ("rmse_scaled", "accuracy", "target_accuracy")


#: the settings of a fit variant and the words its imputers' names end with
VARIANTS = {"ordered": "ordered", "real": "real", "score-hidden": "scoring hidden cells"}


def variant_settings(variant: str, train) -> tuple[str, dict]:
    """``(label, TabularModel settings)`` of a variant: ``''`` (the defaults) or a ``+``-joined
    set of :data:`VARIANTS`, whose schemas merge."""
    labels, settings, schema = [], {}, {}
    for part in filter(None, variant.split("+")):
        if part not in VARIANTS:
            raise SystemExit(f"unknown variant {part!r} (known: {', '.join(VARIANTS)})")
        labels.append(VARIANTS[part])
        if part == "ordered":
            schema |= ordered_schema(train)
        elif part == "real":
            schema |= real_schema(train)
        else:
            settings["score_observed"] = False
    return ", ".join(labels), settings | ({"schema": schema} if schema else {})


def summarise(rows: list[dict], against: str = "knn") -> list[dict]:
    """Per imputer: the mean of each metric over the splits, and on the splits ``against`` (an
    imputer's name; k-NN by default) also ran, the mean and standard error of the imputer's
    difference to it (paired by split), as ``KEY_vs_knn``."""
    knn = {r["split"]: r for r in rows if r["imputer"] == against}
    out = []
    for name in dict.fromkeys(r["imputer"] for r in rows):
        mine = [r for r in rows if r["imputer"] == name]
        row = {"imputer": name, "splits": len(mine)}
        for key in METRICS:
            if any(r[key] is None for r in mine):  # a numeric target has no accuracy
                row[key] = None
                continue
            row[key] = float(np.mean([r[key] for r in mine]))
            diff = [r[key] - knn[r["split"]][key] for r in mine if r["split"] in knn]
            if name != against and len(diff) > 1:
                se = float(np.std(diff, ddof=1) / np.sqrt(len(diff)))
                row[key + "_vs_knn"] = [float(np.mean(diff)), se]
        out.append(row)
    return out


def print_summary(rows: list[dict], against: str = "knn") -> None:
    print(
        f"\nmeans over the splits (and, paired by split, minus {against!r} +- its standard error):"
    )
    for row in summarise(rows, against):
        parts = []
        for key in METRICS:
            if row[key] is None:
                continue
            text = f"{key} {row[key]:.4f}"
            if key + "_vs_knn" in row:
                d, se = row[key + "_vs_knn"]
                text += f" ({d:+.4f} +- {se:.4f})"
            parts.append(text)
        print(f"  {row['imputer']} ({row['splits']} splits): " + ", ".join(parts))
    by_column = column_summary(rows, against)
    if by_column:
        print(f"RMSE by column (paired by split, minus {against!r} +- its standard error):")
        for name, columns in by_column.items():
            print(f"  {name}:")
            for column, (mean, d, se) in columns.items():
                print(f"    {column}: {mean:.4f} ({d:+.4f} +- {se:.4f})")


def column_summary(rows: list[dict], against: str = "knn") -> dict[str, dict[str, tuple]]:
    """Per imputer other than ``against`` and per hidden numeric column: the mean RMSE over the
    splits, and the mean and standard error of its difference to ``against``'s, paired by split
    (rows from runs that recorded ``rmse_by_column``; a column must be hidden in every split)."""
    theirs = {r["split"]: r.get("rmse_by_column") for r in rows if r["imputer"] == against}
    out: dict[str, dict[str, tuple]] = {}
    for name in dict.fromkeys(r["imputer"] for r in rows if r["imputer"] != against):
        mine = [r for r in rows if r["imputer"] == name and theirs.get(r["split"])]
        if len(mine) < 2 or not all(r.get("rmse_by_column") for r in mine):
            continue
        columns = set.intersection(*(set(r["rmse_by_column"]) for r in mine))
        out[name] = {}
        for c in sorted(columns):
            values = np.array([r["rmse_by_column"][c] for r in mine])
            diff = values - np.array([theirs[r["split"]][c] for r in mine])
            se = float(np.std(diff, ddof=1) / np.sqrt(len(diff)))
            out[name][c] = (float(values.mean()), float(diff.mean()), se)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--table", default="iris")
    ap.add_argument("--splits", type=positive_whole("--splits"), default=3)
    ap.add_argument("--first-split", type=int, default=0)
    ap.add_argument(
        "--summarise", nargs="+", metavar="JSON", help="train nothing: summarise saved runs"
    )
    ap.add_argument(
        "--against", default="knn", help="--summarise: the imputer the differences are to"
    )
    ap.add_argument(
        "--only-splits", type=int, nargs="+", help="--summarise: these splits only (default: all)"
    )
    ap.add_argument("--draws", type=positive_whole("--draws"), nargs="*", default=[10, 50, 100])
    ap.add_argument("--resample", type=int, nargs="*", default=[1])
    ap.add_argument(
        "--sample-steps",
        type=int,
        nargs="*",
        default=[None],
        help="sampler steps of the fillings, each from the same fit (default: the model's)",
    )
    ap.add_argument(
        "--steps", type=int, nargs="*", default=None, help="training steps (default: the model's)"
    )
    ap.add_argument(
        "--unconditional",
        type=float,
        default=None,
        help="the share of training rows shown no cell (default: the model's); the imputers' "
        "names then say it",
    )
    ap.add_argument(
        "--ordered",
        action="store_true",
        help="also fit dmm with diamonds' ordered levels declared as ordinals (imputers named "
        "'..., ordered'), on the same splits",
    )
    ap.add_argument(
        "--real",
        action="store_true",
        help="also fit dmm with the positive columns declared real (VP on the standardised "
        "values instead of geometric OU; imputers named '..., real'), on the same splits",
    )
    ap.add_argument(
        "--score-hidden",
        action="store_true",
        help="also fit dmm whose loss scores only the cells the context does not show "
        "(score_observed=False; imputers named '..., scoring hidden cells'), on the same splits",
    )
    ap.add_argument(
        "--variants",
        nargs="+",
        metavar="A+B",
        help="more dmm fits, each a '+'-joined set of ordered, real, score-hidden "
        "(e.g. real+score-hidden)",
    )
    ap.add_argument(
        "--no-default",
        action="store_true",
        help="fit only the variants, not dmm's defaults (pair with another run's default rows "
        "through --summarise)",
    )
    ap.add_argument(
        "--rows", type=int, default=None, help="a seeded subsample of the table (as tabular.py's)"
    )
    ap.add_argument("--json", type=writable_file("--json"), default=None)
    args = ap.parse_args()
    if args.summarise:
        rows = {}
        for path in args.summarise:  # runs may repeat a split's k-NN row: count it once
            with open(path) as f:
                for row in json.load(f):
                    if args.only_splits is None or row["split"] in args.only_splits:
                        rows.setdefault((row["split"], row["imputer"]), row)
        print_summary(list(rows.values()), args.against)
        return
    torch.set_num_threads(1)
    frame, target = load_table(args.table, n=args.rows, seed=0)
    kinds = kinds_of(frame)
    rows = []
    for s in range(args.first_split, args.first_split + args.splits):
        train_idx, test_idx = split_rows(frame[target], s, stratify=kinds[target] != "numeric")
        train = frame.iloc[train_idx].reset_index(drop=True)
        test = frame.iloc[test_idx].reset_index(drop=True)
        mask = hide_cells(test, 0.2, seed=s)
        column = np.zeros(test.shape, bool)
        column[:, list(test.columns).index(target)] = test[target].notna().to_numpy()

        def score(imputer, hidden, test=test, train=train):
            filled = imputer(test.mask(hidden))
            return imputation_scores(test, conform(filled, test, kinds), hidden, train, kinds)

        fills = {"knn": partial(impute_knn, train, kinds=kinds)}
        for steps in args.steps or [None]:
            variants = [] if args.no_default else [""]
            variants += ["ordered"] * args.ordered + ["real"] * args.real
            variants += ["score-hidden"] * args.score_hidden + (args.variants or [])
            for variant in variants:
                seed_everything(s)
                extra: dict = {} if steps is None else {"steps": steps}
                if args.unconditional is not None:
                    extra["unconditional"] = args.unconditional
                label, settings = variant_settings(variant, train)
                model = TabularModel(seed=s, **extra, **settings).fit(train)
                fills |= {
                    f"dmm, {k} fillings"
                    + (f", resample {u}" if u != 1 else "")
                    + (f", {q} sampler steps" if q is not None else "")
                    + (f", {steps} steps" if steps is not None else "")
                    + (
                        f", unconditional {args.unconditional:g}"
                        if args.unconditional is not None
                        else ""
                    )
                    + (f", {label}" if label else ""): partial(
                        model.impute, seed=s, draws=k, resample=u, steps=q
                    )
                    for k in args.draws
                    for u in args.resample
                    for q in args.sample_steps
                }
        for name, imputer in fills.items():
            cells, col = score(imputer, mask), score(imputer, column)
            row = {"split": s, "imputer": name, "rmse_scaled": cells["rmse_scaled"]}
            row |= {"accuracy": cells["accuracy"], "target_accuracy": col["accuracy"]}
            rows.append(row | {"rmse_by_column": cells["rmse_by_column"]})
            print(
                json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()})
            )
        if args.json:  # after every split: a stopped run keeps the splits it finished
            args.json.parent.mkdir(parents=True, exist_ok=True)
            with open(args.json, "w") as f:
                json.dump(rows, f, indent=2)
    print_summary(rows)


if __name__ == "__main__":
    main()
