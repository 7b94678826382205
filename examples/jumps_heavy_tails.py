"""Heavy tails: ``levy-ou`` against ``vp`` at equal budget on heavy-tailed data sets.

    python examples/jumps_heavy_tails.py --data student-t-1.5-2d --steps 3000 --n 10000 \
        --sample-steps 200 --grad-clip 1000 --processes levy-ou \
        --levy-set parameterisation=tail-potential proposals=4 sampler_proposals=4 --run-dir runs/heavy
    python examples/jumps_heavy_tails.py --data student-t-1.5-2d --steps 3000 --n 10000 \
        --sample-steps 200 --grad-clip 1000 --processes vp

For each process: train (same steps, batch, network width), sample ``n`` points, and compare the
quantiles 0.99 / 0.999 / 0.9999 of ``|x|`` with the data's (error on a log scale,
``|log q_model - log q_data|``, data quantiles from 10^6 draws) and the Hill estimate of the tail
index (top 1% of ``|x|``) with the data's; beside them, what the 20 000 training rows themselves
know far out (their own quantiles, and Weissman's extrapolation of their power tail). Writes
``<out>/heavy_<data>.json`` (runs of single processes merge into it). ``--sample-steps 100 400``
also reports the metrics at 400 sampling steps (keys ``...@400``), the check for discretisation
error. ``--equal-time`` trains ``vp`` for as long as ``levy-ou`` trained in the same report (the
step count from a timed pilot of ``vp``):

    python examples/jumps_heavy_tails.py --data student-t-3-8d --steps 30000 --n 10000 \
        --sample-steps 200 --grad-clip 1000 --processes levy-ou vp --equal-time \
        --levy-set proposals=4 sampler_proposals=4
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import time
from pathlib import Path

import torch

from dmm.cli.catalog import build
from dmm.cli.catalog.jumps import READ_FROM_DATA
from dmm.cli.config import writable_file
from dmm.cli.errors import USER_ERRORS, UsageError, one_line
from dmm.data import load_data
from dmm.metrics.tails import LEVELS, data_fraction, tail_summary, weissman_quantile
from dmm.plotting import plot_tails
from dmm.reversal import Reversal
from dmm.samplers import simulate
from dmm.training import TrainConfig, train


def levy_params(data: str) -> dict[str, object]:
    """The Lévy-OU jump family of the data (stable jumps for stable data); its index is the
    catalogue's default, ``nu=0`` / ``alpha=0``: the data's, by the Hill estimate (the design
    choice the seeds argue for, with the index estimated as a user's would be)."""
    return {"jumps": "stable"} if data.startswith("stable-") else {"jumps": "student-t"}


def parse_set(items: list[str]) -> dict[str, object]:
    """``key=value`` pairs (values parsed as Python literals where possible)."""
    out: dict[str, object] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"expected key=value, got {item!r}")
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key] = value
    return out


def _build(name: str, data: torch.Tensor, overrides: dict, args):
    return build(
        name, data, {"hidden": args.hidden, "depth": args.depth, **overrides}, seed=args.seed
    )


def _config(name: str, steps: int, args, checkpoints: bool = False) -> TrainConfig:
    """The training settings of every run (and of ``--equal-time``'s pilot)."""
    return TrainConfig(
        steps=steps,
        batch_size=args.batch,
        lr=1e-3,
        warmup=50,
        grad_clip=args.grad_clip,
        row_tilt=args.row_tilt if name in args.tilt_processes else 0.0,
        seed=args.seed,
        log_every=max(steps // 20, 1),
        val_every=10**9,
        checkpoint_every=250 if checkpoints else 10**9,
    )


def run_one(
    name: str, data: torch.Tensor, overrides: dict, args, steps: int | None = None
) -> tuple[dict[str, float], torch.Tensor]:
    """Train ``name`` for ``steps`` (default ``--steps``) and sample: the tail summary per
    ``--sample-steps`` and the samples of the first (for ``--figure``)."""
    steps = args.steps if steps is None else steps
    built = _build(name, data, overrides, args)
    process, model, loss = built.process, built.model, built.loss
    t0 = time.time()
    run_dir = None if args.run_dir is None else Path(args.run_dir, f"{args.data}_{name}")
    resume = run_dir is not None and (run_dir / "checkpoint.pt").exists()
    result = train(
        model,
        loss,
        built.data,  # in the model's coordinates (vp standardises unless told not to)
        _config(name, steps, args, checkpoints=run_dir is not None),
        run_dir=run_dir,
        resume=resume,
    )
    train_s = time.time() - t0
    print(f"{name}: trained in {train_s:.0f} s (this invocation)", flush=True)
    out: dict[str, float] = {
        "train_seconds": train_s,
        "steps": steps,
        "final_loss": _final_loss(result),
        # what the catalogue read from the data (nu=0, alpha=0, intensity=0), as built
        **{k: float(built.params[k]) for k in READ_FROM_DATA.get(built.params.get("jumps"), ())},
    }
    sampler, drawn = built.sampler(), []
    for i, sample_steps in enumerate(args.sample_steps):
        g = torch.Generator().manual_seed(args.seed + 7)
        t0 = time.time()
        y = simulate(Reversal(process, result.ema.eval()), sampler, args.n, sample_steps, g)
        y = built.decode(y)
        drawn.append(y)
        res = tail_summary(y)
        res.update(
            sample_seconds=time.time() - t0, nonfinite=int((~torch.isfinite(y)).any(1).sum())
        )
        suffix = "" if i == 0 else f"@{sample_steps}"
        out.update({k + suffix: v for k, v in res.items()})
    return out, drawn[0]


def seconds_per_step(name: str, data: torch.Tensor, overrides: dict, args, pilot: int) -> float:
    """Wall seconds per training step of ``name`` with ``run_one``'s settings: the difference of
    a ``pilot``-step and a ``pilot // 4``-step training over their difference in steps, so that
    what one call of :func:`train` costs once (its set-up) does not count; nothing is kept."""
    built = _build(name, data, overrides, args)
    short = max(pilot // 4, 1)
    train(built.model, built.loss, built.data, _config(name, short, args))  # warm-up
    seconds = []
    for steps in (short, pilot):
        t0 = time.time()
        train(built.model, built.loss, built.data, _config(name, steps, args))
        seconds.append(time.time() - t0)
    return max(seconds[1] - seconds[0], 1e-9) / (pilot - short)


def _final_loss(result) -> float:
    losses = [h["loss"] for h in result.history if "loss" in h]
    return float(sum(losses[-5:]) / max(len(losses[-5:]), 1)) if losses else float("nan")


def noise_floor(data: str, n: int, truth: dict[str, float], repeats: int = 20) -> dict[str, float]:
    """What exact samples score: mean and 90th percentile over ``repeats`` fresh draws of ``n``
    data points of the log-errors of the quantiles and of the Hill index."""
    rows = []
    for r in range(repeats):
        x = load_data(data, n, torch.Generator().manual_seed(1000 + r))
        s = tail_summary(x)
        rows.append([abs(math.log(s[f"q{q}"] / truth[f"q{q}"])) for q in LEVELS] + [s["hill"]])
    cols = torch.tensor(rows, dtype=torch.float64).T
    out = {}
    for name, col in zip([f"logerr_q{q}" for q in LEVELS] + ["hill"], cols, strict=True):
        out[name + "_mean"] = float(col.mean())
        out[name + "_p90"] = float(torch.quantile(col, 0.9))
    out["hill_sd"] = float(cols[-1].std())
    return out


#: the rows every model trains on, drawn with the run's seed
TRAIN_ROWS = 20000


def training_floor(data: str, seed: int, truth: dict[str, float], repeats: int = 20) -> dict:
    """What the training rows themselves know far out: the log-errors of their own quantiles
    (``rows_logerr_q<level>``) and of Weissman's extrapolation from their top rows
    (``weissman_logerr_q<level>``, the index ``levy-ou``'s ``nu=0`` reads), for the rows of
    ``seed`` and as the mean over the rows of seeds ``0 … repeats - 1`` (``…_mean``), with the
    Hill index of the rows of ``seed`` (``hill``). A model fitted to the rows sees no more."""

    def errors(x: torch.Tensor) -> dict[str, float]:
        own = tail_summary(x)
        frac = data_fraction(len(x))
        out = {"hill": own["hill"]}
        for q in LEVELS:
            out[f"rows_logerr_q{q}"] = abs(math.log(own[f"q{q}"] / truth[f"q{q}"]))
            out[f"weissman_logerr_q{q}"] = abs(
                math.log(weissman_quantile(x, q, frac) / truth[f"q{q}"])
            )
        return out

    draws = [errors(load_data(data, TRAIN_ROWS, torch.Generator().manual_seed(s))) for s in
             range(repeats)]  # fmt: skip
    mine = errors(load_data(data, TRAIN_ROWS, torch.Generator().manual_seed(seed)))
    return mine | {f"{k}_mean": sum(d[k] for d in draws) / repeats for k in mine}


def _training_floor(report: dict) -> dict:
    """The report's training floor, computed for reports written before it was recorded."""
    if "train_floor" in report:
        return report["train_floor"]
    seed = next(iter(report["args"].values()))["seed"]
    return training_floor(report["data"], seed, report["truth"])


def markdown_table(out: str, tags: list[str], names: list[str]) -> str:
    """The table of docs/studies/jumps.md from ``<out>/heavy_<data><tag>.json``: per data set the data's
    quantiles, the floor of exact samples, and one row per process and tag (``label=tag``
    entries name the rows: ``vp-raw=_2026-12-03_vp-raw``)."""
    rows = [
        "| data | model | q0.99 | q0.999 | q0.9999 | log-error (0.99 / 0.999 / 0.9999) "
        "| Hill index | train s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for data in names:
        first = True
        for item in tags:
            label, _, tag = item.rpartition("=")
            path = Path(out, f"heavy_{data}{tag}.json")
            if not path.exists():
                continue
            report = json.loads(path.read_text())
            if first:
                t, f = report["truth"], report["floor"]
                q = " | ".join(f"{t[f'q{level}']:.3g}" for level in LEVELS)
                rows.append(f"| {data} | data (10^6 draws) | {q} | – | {t['hill']:.2f} | |")
                errs = " / ".join(f"{f[f'logerr_q{level}_mean']:.2f}" for level in LEVELS)
                p90 = " / ".join(f"{f[f'logerr_q{level}_p90']:.2f}" for level in LEVELS)
                n = next(iter(report.get("args", {}).values()), {}).get("n", 10**4)
                size = f"10^{round(math.log10(n))}" if 10 ** round(math.log10(n)) == n else n
                rows.append(
                    f"| | exact samples, n = {size} (mean (90th pct.) of 20 draws) | | | | "
                    f"{errs} ({p90}) | {f['hill_mean']:.2f} ± {f['hill_sd']:.2f} | |"
                )
                tf = _training_floor(report)
                for kind, what in (("rows", "the training rows' own quantiles"),
                                    ("weissman", "Weissman's extrapolation from them")):  # fmt: skip
                    errs = " / ".join(f"{tf[f'{kind}_logerr_q{level}']:.2f}" for level in LEVELS)
                    mean = " / ".join(
                        f"{tf[f'{kind}_logerr_q{level}_mean']:.2f}" for level in LEVELS
                    )
                    hill = f"{tf['hill']:.2f}" if kind == "rows" else ""
                    rows.append(
                        f"| | {what}, n = {TRAIN_ROWS} (this seed's (mean of 20 draws)) "
                        f"| | | | {errs} ({mean}) | {hill} | |"
                    )
                first = False
            for process in ("levy-ou", "vp"):
                if process not in report:
                    continue
                r = report[process]
                q = " | ".join(f"{r[f'q{level}']:.3g}" for level in LEVELS)
                errs = " / ".join(f"{r[f'logerr_q{level}']:.2f}" for level in LEVELS)
                name = f"{process} ({label})" if label else process
                rows.append(
                    f"| | {name} | {q} | {errs} | {r['hill']:.2f} | {r['train_seconds']:.0f} |"
                )
    return "\n".join(rows)


#: the issue's goal: within this factor of the exact samples' mean log-error, at these levels
GOAL_FACTOR, GOAL_LEVELS = 1.5, (0.999, 0.9999)


def floors_table(names: list[str], n: int) -> str:
    """Per data set, at :data:`GOAL_LEVELS`: the goal's yardstick (:data:`GOAL_FACTOR` times the
    mean log-error of ``n`` exact samples) beside what the :data:`TRAIN_ROWS` training rows know
    (:func:`training_floor`, means over 20 draws of them)."""
    rows = [
        f"| data | {GOAL_FACTOR}× exact samples' error (n = {n}) | training rows' own quantiles "
        "| Weissman's extrapolation from them |",
        "|---|---|---|---|",
    ]
    for data in names:
        truth = tail_summary(load_data(data, 10**6, torch.Generator().manual_seed(99)))
        exact, tf = noise_floor(data, n, truth), training_floor(data, 0, truth)
        cells = [
            " / ".join(f"{factor * d[f'{key}_q{q}_mean']:.2f}" for q in GOAL_LEVELS)
            for factor, d, key in ((GOAL_FACTOR, exact, "logerr"), (1, tf, "rows_logerr"),
                                   (1, tf, "weissman_logerr"))
        ]  # fmt: skip
        rows.append(f"| {data} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def verdict_table(out: str, tag: str, names: list[str]) -> str:
    """Per data set of ``<out>/heavy_<data><tag>.json``: ``levy-ou``'s log-errors at
    :data:`GOAL_LEVELS` against :data:`GOAL_FACTOR` times the exact samples' mean error and
    against ``vp``'s, each process's steps and training seconds, and whether the goal is met
    (within the factor at both levels and below ``vp`` at both; unrounded values decide)."""
    rows = [
        "| data | steps `levy-ou` / `vp` | train s | `levy-ou` 0.999 / 0.9999 | 1.5× floor "
        "| `vp` | Hill index `levy-ou` / `vp` (data) | met | training rows; Weissman |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for data in names:
        path = Path(out, f"heavy_{data}{tag}.json")
        if not path.exists():
            continue
        r = json.loads(path.read_text())
        if "levy-ou" not in r or "vp" not in r:
            continue
        lv, vp, args, tf = r["levy-ou"], r["vp"], r["args"], _training_floor(r)
        floor = [GOAL_FACTOR * r["floor"][f"logerr_q{q}_mean"] for q in GOAL_LEVELS]
        ours = [lv[f"logerr_q{q}"] for q in GOAL_LEVELS]
        theirs = [vp[f"logerr_q{q}"] for q in GOAL_LEVELS]
        misses = [f"{q} above {GOAL_FACTOR}× floor" for q, a, b in zip(GOAL_LEVELS, ours, floor)
                  if a > b] + [f"`vp` ahead at {q}" for q, a, b in zip(GOAL_LEVELS, ours, theirs)
                  if a >= b]  # fmt: skip
        met = "yes" if not misses else "no (" + "; ".join(misses) + ")"

        def pair(v):
            return " / ".join(f"{x:.2f}" for x in v)

        rows.append(
            f"| {data} | {args['levy-ou']['steps']} / {args['vp']['steps']} "
            f"| {lv['train_seconds']:.0f} / {vp['train_seconds']:.0f} | {pair(ours)} "
            f"| {pair(floor)} | {pair(theirs)} "
            f"| {lv['hill']:.2f} / {vp['hill']:.2f} ({r['truth']['hill']:.2f}) | {met} "
            f"| {pair(tf[f'rows_logerr_q{q}'] for q in GOAL_LEVELS)}; "
            f"{pair(tf[f'weissman_logerr_q{q}'] for q in GOAL_LEVELS)} |"
        )
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="student-t-1.5-2d")
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument(
        "--sample-steps", type=int, nargs="+", default=[100], help="first one is reported"
    )
    ap.add_argument("--depth", type=int, default=2)
    ap.add_argument("--grad-clip", type=float, default=1.0)
    ap.add_argument(
        "--row-tilt",
        type=float,
        default=0.0,
        help="TrainConfig.row_tilt (importance sampling of x_0 with corrected weights)",
    )
    ap.add_argument(
        "--tilt-processes",
        nargs="*",
        default=["levy-ou"],
        help="the processes --row-tilt applies to",
    )
    ap.add_argument("--processes", nargs="+", default=["levy-ou", "vp"])
    ap.add_argument("--levy-set", nargs="*", default=[], help="levy-ou params, key=value")
    ap.add_argument("--vp-set", nargs="*", default=[], help="vp params, key=value")
    ap.add_argument("--tag", default="", help="suffix of the output file name")
    ap.add_argument(
        "--run-dir",
        default=None,
        help="checkpoint every 250 steps under RUN_DIR/<data>_<process> and resume from there "
        "(a run cut short by a time limit continues where it stopped when started again)",
    )
    ap.add_argument(
        "--equal-time",
        action="store_true",
        help="train vp for as long as levy-ou trained (its train_seconds in this tag's report, "
        "or in this run): vp's steps = those seconds over its seconds per step in a pilot",
    )
    ap.add_argument("--pilot-steps", type=int, default=400, help="--equal-time's pilot")
    ap.add_argument(
        "--data-scale",
        type=float,
        default=1.0,
        help="multiply the data (training rows and reference) by this factor",
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--out",
        default="docs/results",
        help="folder of the results (default: %(default)s, the files docs/studies/jumps.md shows, "
        "rewritten; give another folder to keep them)",
    )
    ap.add_argument(
        "--table",
        nargs="+",
        metavar="[LABEL=]TAG",
        help="print the Markdown table of the results under --out with these file tags for the "
        "data sets --table-data, and exit (no training)",
    )
    ap.add_argument("--table-data", nargs="+", default=[])
    ap.add_argument(
        "--verdict",
        metavar="TAG",
        help="print the goal's verdict table for the data sets --table-data, and exit",
    )
    ap.add_argument(
        "--floors",
        action="store_true",
        help="print, for the data sets --table-data, the goal's yardstick at --n samples beside "
        "what the training rows know far out, and exit",
    )
    ap.add_argument(
        "--figure",
        type=writable_file("--figure"),
        help="also plot P(|x| > r) of the data and of each process's samples (PNG path)",
    )
    args = ap.parse_args()
    if args.table:
        print(markdown_table(args.out, args.table, args.table_data))
        return
    if args.verdict is not None:
        print(verdict_table(args.out, args.verdict, args.table_data))
        return
    if args.floors:
        print(floors_table(args.table_data, args.n))
        return
    try:
        run(args)
    except (*USER_ERRORS, argparse.ArgumentTypeError) as exc:  # an unknown --data, a bad
        ap.exit(2, f"{ap.prog}: error: {one_line(exc)}\n")  # --levy-set, --out: one line


def run(args: argparse.Namespace) -> None:
    """Train and score ``--processes`` on ``--data`` and write the report (and ``--figure``)."""
    scaled = "" if args.data_scale == 1 else f"_x{args.data_scale:g}"
    path = writable_file("--out")(str(Path(args.out, f"heavy_{args.data}{scaled}{args.tag}.json")))
    torch.set_num_threads(1)
    # --data-scale multiplies the data: log-errors of quantiles and floors do not change with it
    data = args.data_scale * load_data(
        args.data, TRAIN_ROWS, torch.Generator().manual_seed(args.seed)
    )
    truth = tail_summary(load_data(args.data, 10**6, torch.Generator().manual_seed(99)))
    # runs of single processes (--processes) merge into one report per data set
    old = json.loads(path.read_text()) if path.exists() else {}
    report = {
        **old,
        "data": args.data,
        "data_scale": args.data_scale,
        "truth": truth,
        "floor": noise_floor(args.data, args.n, truth),
        "train_floor": training_floor(args.data, args.seed, truth),
    }
    report.setdefault("args", {})
    overrides = {
        "levy-ou": {**levy_params(args.data), **parse_set(args.levy_set)},
        # levy-ou's MLP has no Fourier features; nor does vp's here unless --vp-set asks
        "vp": {"fourier": 0, **parse_set(args.vp_set)},
    }
    samples = {}
    for name in args.processes:
        steps = None
        if args.equal_time and name == "vp":
            if "levy-ou" not in report:
                raise SystemExit(f"--equal-time: no levy-ou run in {path} to match")
            if args.pilot_steps < 4:
                raise SystemExit(f"--pilot-steps must be at least 4, got {args.pilot_steps}")
            budget = report["levy-ou"]["train_seconds"]
            per = seconds_per_step(name, data, overrides[name], args, args.pilot_steps)
            steps = max(round(budget / per), 1)
            print(f"vp: {per * 1000:.4f} ms per step, {steps} steps in {budget:.2f} s", flush=True)
        res, samples[name] = run_one(name, data, overrides[name], args, steps)
        res.update(
            {
                f"logerr_q{q}": abs(math.log(res[f"q{q}"] / (args.data_scale * truth[f"q{q}"])))
                for q in LEVELS
            }
        )
        report[name] = res
        report["args"][name] = vars(args) | {
            "figure": args.figure and str(args.figure),
            "overrides": overrides[name],
            "steps": res["steps"],
        }
        print(name, json.dumps(res), flush=True)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    if path.exists():  # merge with what other runs wrote meanwhile
        latest = json.loads(path.read_text())
        report["args"] = {**latest.get("args", {}), **report["args"]}
        report = {**latest, **report}
    path.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    if args.figure:
        reference = args.data_scale * load_data(args.data, 10**6, torch.Generator().manual_seed(99))
        title = f"{args.data}, {args.steps} steps, n = {args.n}"
        print("wrote", plot_tails(reference, samples, args.figure, title))


if __name__ == "__main__":
    main()
