"""Quality on positive data: ``gbm``, ``geometric-ou`` and ``vp`` at equal training budget and equal
sampler steps (docs/positive.md shows the latest tables, docs/studies/positive.md every run).

For each data set and seed (the seed draws the split, or the training and held-out samples of a
built-in mixture, and seeds training and sampling): train each process (same MLP, steps, batch,
learning rate), draw as many samples as there are held-out rows with the same number of
Euler–Maruyama steps, and score them against the held-out rows: C2ST AUC (gradient boosting,
5-fold; a tree ensemble, so the AUC is the same whether the classifier reads ``x`` or ``log x``),
energy distance over its noise floor (the training rows against the same held-out rows), the mean
per-feature KS statistic, and the share of samples with a coordinate ``<= 0``. Metrics read the
features divided by the training standard deviation (wine's scales differ by 10^4). Reported: the
mean over seeds, with the standard error of the C2ST AUC.

``vp`` is trained on z-scores; its violating samples are reported as they are and, as
``vp (clipped)``, after clipping to the orthant. ``vp-log`` is ``vp`` on the z-scores of ``log x``,
mapped back by ``exp``. A name may carry parameters (``gbm:parameterisation=log-score,weighting=kl``).
``--x-step`` also re-samples ``gbm`` with the plain ``x``-coordinate step, which crosses zero;
``--also-sample straight-midpoint@20`` scores each trained model with another sampler too.
``--draws R`` draws ``R`` sample sets from each trained model (and ``R`` subsets of the training rows
for the floor) and reports the metrics' means: on wine one draw of 54 rows moves the C2ST AUC by
a standard deviation of 0.04-0.10 (``benchmarks/c2st_draw_spread.py``), more than the differences
between the processes.

Data: ``orthant-gmm-2d`` and ``orthant-gmm-10d`` (20 000 training draws, 2 000 held out); scikit-learn's
wine (178 rows) and breast cancer (the 556 rows without a zero; 13 rows hold one, which the orthant
processes refuse), 70% for training.

Run (about 55 minutes on one core)::

    python benchmarks/orthant_quality.py --processes gbm geometric-ou \
        gbm:parameterisation=log-score,weighting=kl geometric-ou:parameterisation=log-score,weighting=kl \
        vp vp-log
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from dmm.cli.catalog import build
from dmm.cli.config import positive_whole, writable_file
from dmm.data import export_sklearn, load_data
from dmm.metrics import c2st_auc, energy_distance, ks_per_feature, mean_over_draws
from dmm.reversal import Reversal
from dmm.samplers import EulerMaruyama, simulate
from dmm.training import TrainConfig, train


def split_data(name: str, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    if name in ("wine", "breast_cancer"):
        with tempfile.TemporaryDirectory() as tmp:
            full = load_data(str(export_sklearn(name, Path(tmp) / f"{name}.npy")), 0, g).float()
        full = full[(full > 0).all(1)]  # breast cancer: 13 of 569 rows hold a zero
        perm = torch.randperm(len(full), generator=g)
        n_train = int(0.7 * len(full))
        return full[perm[:n_train]], full[perm[n_train:]]
    return load_data(name, 20_000, g), load_data(name, 2_000, g)


def metrics(
    samples: torch.Tensor, test: torch.Tensor, scale: torch.Tensor, seed: int = 0
) -> dict[str, float]:
    """Energy, KS and C2ST AUC on ``x / scale`` (``seed``: the classifier's folds and subsample).
    (The C2ST classifier is a tree ensemble, so its AUC is the same on ``log x``: trees are
    invariant under monotone maps of each coordinate.)"""
    ok = torch.isfinite(samples).all(1)
    if ok.sum() < 10:  # e.g. the plain x-step after every trajectory crossed zero and blew up
        return dict.fromkeys(("energy", "ks_mean", "ks_max", "c2st"), math.nan)
    s, t = samples[ok] / scale, test / scale
    ks = ks_per_feature(s, t)
    return {
        "energy": energy_distance(s, t, unbiased=False),
        "ks_mean": float(ks.mean()),
        "ks_max": float(ks.max()),
        "c2st": c2st_auc(s, t, seed=seed),
    }


def mean_metrics(draws: list[torch.Tensor], test: torch.Tensor, scale: torch.Tensor) -> dict:
    """:func:`metrics` of each draw (draw ``r`` with classifier seed ``r``), averaged over the
    draws, with each draw's C2ST AUC in ``c2st_draws`` (module docstring: one draw of wine's 54
    rows, not the model, then decides a single-draw comparison)."""
    each = [metrics(y, test, scale, seed=r) for r, y in enumerate(draws)]
    return {**mean_over_draws(each), "c2st_draws": [m["c2st"] for m in each]}


def draw_seed(seed: int, r: int) -> int:
    """The sampling seed of draw ``r`` of a run (draw 0: ``seed + 1``, as single-draw runs had)."""
    return seed + 1 + 1000 * r


def violations(y: torch.Tensor) -> float:
    return float((~torch.isfinite(y).all(1) | (y <= 0).any(1)).float().mean())


def parse_variant(text: str) -> tuple[str, str, dict[str, str]]:
    """``name[:key=value,...]`` -> (label, process name, parameters)."""
    name, _, rest = text.partition(":")
    params = dict(kv.split("=", 1) for kv in rest.split(",")) if rest else {}
    return text, name, params


def run_one(variant: str, train_x: torch.Tensor, test: torch.Tensor, args, seed: int) -> dict:
    label, process_name, extra = parse_variant(variant)
    in_logs = process_name == "vp-log"  # VP on log x, mapped back by exp
    if in_logs:
        process_name = "vp"
    fit_raw = torch.log(train_x) if in_logs else train_x
    mean, std = fit_raw.mean(0), fit_raw.std(0)
    fit_x = (fit_raw - mean) / std if process_name == "vp" else fit_raw
    params = {"hidden": args.hidden, "depth": args.depth, **extra}
    if process_name == "vp":  # standardised above, by this script's own protocol
        params["standardise"] = False
        # the orthant processes' MLP: no Fourier features (vp's default since 2026-12-03)
        params.setdefault("fourier", 0)
    built = build(process_name, fit_x, params, seed=seed)  # seeded initial weights
    process = built.process
    config = TrainConfig(
        steps=args.steps,
        batch_size=args.batch,
        lr=args.lr,
        warmup=100,
        log_every=args.steps,
        val_every=10**9,
        checkpoint_every=10**9,
        seed=seed,
    )
    t0 = time.time()
    result = train(built.model, built.loss, built.data, config)
    seconds = time.time() - t0
    n = len(test) if len(train_x) > len(test) else len(train_x)
    scale = train_x.std(0)

    def draws(sampler, steps: int, space_process=process) -> list[torch.Tensor]:
        """``args.draws`` sample sets of ``n`` rows, mapped back to ``x``."""
        out = []
        for r in range(args.draws):
            g = torch.Generator().manual_seed(draw_seed(seed, r))
            y = simulate(Reversal(space_process, result.ema), sampler, n, steps, g)
            if process_name == "vp":
                y = y * std + mean
            out.append(torch.exp(y) if in_logs else y)
        return out

    def scored(name: str, ys: list[torch.Tensor]) -> dict:
        bad = float(np.mean([violations(y) for y in ys]))
        row = {"process": name, "train_seconds": seconds, "violations": bad}
        return {**row, **mean_metrics(ys, test, scale)}

    ys = draws(EulerMaruyama(), args.sample_steps)
    rows = [scored(label, ys)]
    if process_name == "vp" and not in_logs:
        rows.append(
            {**scored(f"{label} (clipped)", [y.clamp_min(0.0) for y in ys]), "violations": 0.0}
        )
    for extra in args.also_sample:  # the same trained model through another sampler
        name, _, budget = extra.partition("@")
        sampler = built.sampler(name)
        steps = sampler.steps_for(int(budget)) if budget else args.sample_steps
        rows.append(scored(f"{label} ({extra})", draws(sampler, steps)))
    if process_name == "gbm" and args.x_step:
        plain = draws(EulerMaruyama(), args.sample_steps, process.with_log_step(False))
        rows.append(scored(f"{label} (x-step)", plain))
    return {"rows": rows, "n_samples": n}


#: the row every process is compared with, seed by seed (the issue's comparator: ``vp`` on ``x``
#: with its violations clipped)
PAIRED_WITH = "vp (clipped)"


def summarise(runs: list[dict]) -> list[dict]:
    """Per process: the mean and standard error over seeds of each metric (energy as a ratio to
    that seed's floor), and of the C2ST AUC's difference to :data:`PAIRED_WITH` on the same split
    and seed (paired: the split's own difficulty cancels)."""
    by_process: dict[str, list[dict]] = {}
    for run in runs:
        floor = run["floor"]["energy"]
        rows = [*run["rows"], {**run["floor"], "process": "*train vs held-out*", "violations": 0}]
        for r in rows:
            by_process.setdefault(r["process"], []).append(
                {**r, "energy_ratio": r["energy"] / floor}
            )
    out = []
    for name, rows in by_process.items():
        row = {"process": name, "seeds": len(rows)}
        for key in ("c2st", "energy_ratio", "ks_mean", "violations"):
            v = np.array([r[key] for r in rows], dtype=float)
            row[key] = float(v.mean())
            row[key + "_se"] = float(v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else math.nan
        base = [r["c2st"] for r in by_process.get(PAIRED_WITH, [])]
        if len(base) == len(rows) > 1 and name != PAIRED_WITH:
            d = np.array([r["c2st"] for r in rows]) - np.array(base)
            row["c2st_paired"] = float(d.mean())
            row["c2st_paired_se"] = float(d.std(ddof=1) / math.sqrt(len(d)))
        out.append(row)
    return out


def table(results: dict) -> str:
    lines = [
        f"| data | process | C2ST AUC | − {PAIRED_WITH}, paired | energy / floor | KS mean "
        "| violations |",
        "|---|---|---|---|---|---|---|",
    ]
    for data, res in results["data"].items():
        for r in res["summary"]:
            se = "" if math.isnan(r["c2st_se"]) else f" ± {r['c2st_se']:.3f}"
            paired = (
                f"{r['c2st_paired']:+.3f} ± {r['c2st_paired_se']:.3f}" if "c2st_paired" in r else ""
            )
            lines.append(
                f"| {data} | {r['process']} | {r['c2st']:.3f}{se} | {paired} | "
                f"{r['energy_ratio']:.1f} | {r['ks_mean']:.3f} | {100 * r['violations']:.1f}% |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--out",
        type=writable_file("--out"),
        default="docs/results/orthant_quality",
        help="write OUT.json and OUT.md (default: %(default)s, the committed results a trial run "
        "overwrites)",
    )
    ap.add_argument(
        "--data", nargs="+", default=["orthant-gmm-2d", "orthant-gmm-10d", "wine", "breast_cancer"]
    )
    ap.add_argument(
        "--processes",
        nargs="+",
        default=["gbm", "geometric-ou", "vp", "vp-log"],
        help="process names, optionally with parameters (gbm:parameterisation=log-score,...); "
        "vp-log is vp on standardised log x, mapped back by exp",
    )
    ap.add_argument("--x-step", action="store_true", help="also re-sample gbm with the x step")
    ap.add_argument(
        "--also-sample",
        nargs="*",
        default=[],
        metavar="SAMPLER[@NFE]",
        help="also score each trained model with these catalogue samplers (at NFE network "
        "evaluations, default --sample-steps steps), e.g. straight-midpoint@20",
    )
    ap.add_argument("--steps", type=positive_whole("--steps"), default=5000)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--sample-steps", type=positive_whole("--sample-steps"), default=200)
    ap.add_argument(
        "--seeds",
        type=positive_whole("--seeds"),
        default=3,
        help="splits and training seeds 0, 1, ...",
    )
    ap.add_argument(
        "--draws",
        type=int,
        default=1,
        help="sample sets drawn from each trained model (and training-row subsets for the floor); "
        "the metrics are their means",
    )
    ap.add_argument(
        "--table",
        metavar="JSON",
        help="train nothing: rebuild the summary and the table of a saved run's JSON (rewrites "
        "it and its .md beside it)",
    )
    args = ap.parse_args(argv)
    if args.table:
        path = Path(args.table)
        results = json.loads(path.read_text())
        results["data"] = _numbers(results["data"])  # null: not measured (NaN)
        for res in results["data"].values():
            res["summary"] = summarise(res["runs"])
        path.write_text(json.dumps(_nulls(results), indent=1, default=_jsonable))
        path.with_suffix(".md").write_text(table(results) + "\n")
        print(table(results))
        return
    torch.set_num_threads(1)
    results = {"config": vars(args), "data": {}}
    for data in args.data:
        runs = []
        for seed in range(args.seeds):
            train_x, test = split_data(data, seed)
            std = train_x.std(0)
            floor_rows = [  # draw 0 as single-draw runs had it
                train_x[
                    torch.randperm(
                        len(train_x), generator=torch.Generator().manual_seed(seed + 1000 * r)
                    )[: min(len(train_x), len(test))]
                ]
                for r in range(args.draws)
            ]
            run = {"seed": seed, "floor": mean_metrics(floor_rows, test, std), "rows": []}
            for name in args.processes:
                out = run_one(name, train_x, test, args, seed)
                run["rows"] += out["rows"]
                run["n_samples"] = out["n_samples"]
                print(data, seed, json.dumps(out["rows"]), flush=True)
            runs.append(run)
        results["data"][data] = {"runs": runs, "summary": summarise(runs)}
    out = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(_nulls(results), indent=1, default=_jsonable))
    out.with_suffix(".md").write_text(table(results) + "\n")
    print(table(results))


def _nulls(x):
    """``x`` with every non-finite float as ``None``: JSON has no NaN (a metric not measured)."""
    if isinstance(x, dict):
        return {k: _nulls(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_nulls(v) for v in x]
    return None if isinstance(x, float) and not math.isfinite(x) else x


def _numbers(x):
    """The inverse of :func:`_nulls` for the runs' metrics: ``None`` back to NaN."""
    if isinstance(x, dict):
        return {k: _numbers(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_numbers(v) for v in x]
    return math.nan if x is None else x


def _jsonable(x):
    return x.item() if isinstance(x, (np.generic, torch.Tensor)) else str(x)


if __name__ == "__main__":
    main()
