"""``dmm eval``: two-sample metrics against data, the MATH.md §8 error report and the family's own
numbers, printed as one JSON object and written to ``eval.json`` in the run folder."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ..data.files import replacing
from ..metrics import draw_spread, mean_over_draws, precision_recall, two_sample_report
from ..metrics.classifier import NULL_PERMUTATIONS, c2st_auc, c2st_null, c2st_null_sd
from ..metrics.report import error_report
from ..metrics.tails import radii, tail_summary
from ..processes.diffusion import Diffusion
from ..reversal import Reversal
from ..spaces import Euclidean
from .catalog.user import UserProcess
from .errors import UsageError
from .rundir import EVAL, Run, read_data, require_writable, shared_rows
from .rundir import load_run as _load_run
from .sample import (
    add_sampling_options,
    draw,
    grid_name,
    progress,
    require_finite,
    sample_grid,
    sampling_setup,
)

#: samples compared by default (a table run: as many as its training rows)
DEFAULT_N = 2000
#: the numerical term compares at most this many samples (two extra sampler runs)
NUMERICAL_N = 1000
#: reference rows whose probability-flow likelihood ``--likelihood`` computes (exact divergence:
#: one autograd pass per coordinate at each of the solver's ~100-200 evaluations)
LIKELIHOOD_N = 500
EVAL_SEED_OFFSET = 1_000_003
#: the metrics whose spread over the draws ``--draws`` reports (``draw_sd``)
DRAW_KEYS = (
    "c2st_auc",
    "precision",
    "recall",
    "off_support",
    "energy_ratio",
    "mmd_ratio",
    "sliced_w2_ratio",
)
#: the table metrics whose spread over the draws ``--draws`` reports
TABLE_DRAW_KEYS = (
    "c2st_auc",
    "column_shape",
    "column_pair",
    "pair_error",
    "w1_train",
    "w1_test",
    "coverage_train",
    "coverage_test",
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="evaluate a trained run against data (prints JSON)",
        description="Sample the run in DIR and compare with data the model was never trained "
        "on: fresh draws of a built-in data set, the rows of a data file held out at training "
        "time, or another file; prints one JSON object and writes DIR/eval.json.",
    )
    p.add_argument("run_dir", metavar="DIR", help="run folder written by dmm train")
    p.add_argument(
        "--data",
        help="built-in data set name or .npy/.csv/.parquet file (default: the run's own data: fresh "
        "draws of a built-in, the held-out rows of a file)",
    )
    p.add_argument(
        "-n",
        type=int,
        help="samples to compare (default 2000; a table run: as many as its training rows; a "
        "conditional run: one per held-out row, -n unused)",
    )
    p.add_argument(
        "--likelihood",
        action="store_true",
        help="also the probability-flow log-likelihood of up to "
        f"{LIKELIHOOD_N} reference rows (diffusions on R^d; adaptive solver from torchdiffeq)",
    )
    p.add_argument(
        "--draws",
        type=int,
        default=1,
        metavar="R",
        help="draw R sample sets (sampling seeds SEED, SEED+1, ...; each with its own classifier "
        "folds) and report the metrics' means and their spread over the draws (draw_sd): with "
        "few reference rows one draw moves the C2ST AUC by several hundredths (default 1)",
    )
    p.add_argument(
        "--null-permutations",
        type=int,
        default=NULL_PERMUTATIONS,
        metavar="P",
        help="measure the C2ST AUC's null spread (c2st_null_sd) by rerunning the test on P "
        "random deals of the pooled rows into two sides (first draw only; 0: Mann-Whitney's "
        f"lower bound, nothing refitted; default {NULL_PERMUTATIONS})",
    )
    add_sampling_options(p)
    p.set_defaults(func=run)


def _check_likelihood(run_: Run) -> None:
    """:class:`UsageError` unless ``--likelihood`` can run on this run (before any sampling)."""
    process, name = run_.process, run_.spec.name
    if run_.context is not None:
        raise UsageError("--likelihood is for unconditional runs (this one has a context)")
    if not isinstance(process.space, Euclidean) or not process.blocks_of(Diffusion):
        raise UsageError(
            f"--likelihood needs a diffusion on R^d; process '{name}' is on {process.space!r}"
        )
    others = [type(b).__name__ for b in process.blocks if not isinstance(b, Diffusion)]
    if others:  # the probability-flow ODE has the marginals of a diffusion only
        raise UsageError(
            f"--likelihood needs a diffusion on R^d (the probability-flow ODE); process "
            f"'{name}' also has {', '.join(others)} blocks"
        )
    try:
        process.reference.log_prob(run_.built.data[:1].reshape(1, -1))
    except NotImplementedError:
        raise UsageError(
            f"--likelihood needs a reference law with a density; process '{name}''s "
            f"({type(process.reference).__name__}) has none"
        ) from None
    try:
        import torchdiffeq  # noqa: F401
    except ImportError:
        raise UsageError(
            "--likelihood needs torchdiffeq: pip install 'denoising-markov-models[likelihood]'"
        ) from None


def _likelihood(run_: Run, reference: Tensor) -> dict[str, Any]:
    """Mean ``log p_{t_min}`` of up to :data:`LIKELIHOOD_N` reference rows in the data's
    coordinates (nats per row, and bits per coordinate), by the probability-flow ODE."""
    from ..metrics.likelihood import flow_log_likelihood

    process = run_.process
    rows = reference[:LIKELIHOOD_N]
    y = run_.built.encode(rows).reshape(len(rows), -1)
    scaling = run_.built.scaling  # p_x(x) = p_y(y) / Π scale
    log_det = 0.0 if scaling is None else -sum(math.log(s) for s in scaling.scale)
    result = flow_log_likelihood(Reversal(process, run_.model), y)
    nats = float(result.log_prob.double().mean()) + log_det
    return {
        "log_likelihood": nats,
        "bits_per_dim": -nats / (y.shape[1] * math.log(2)),
        "n": len(rows),
        "t": process.t_min,  # the density of the data convolved with the kernel at t_min
        "nfe": result.nfe,
    }


def _of(spec: str, fresh: str) -> str:
    return "" if fresh == spec else f", the held-out rows of {spec}"


def _finite(obj: Any) -> Any:
    """JSON-safe copy: non-finite floats become ``None``."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def eval_data(
    run: Run, spec: str | None, n: int, seed: int, check_training: bool = True, quiet: bool = False
) -> tuple[Tensor, Tensor, str, Tensor | None]:
    """``(reference, floor_data, what, context)``: data the model was never trained on, and for
    a conditional run the raw context rows of the reference rows (its samples are drawn one per
    reference row, with its context: the joint law of the held-out rows is what is compared).

    A built-in (``spec`` or the run's): ``n`` fresh draws and ``2n`` more for the noise floor.
    The run's own data file (``spec`` naming it, or ``None``): the rows held out at training
    time; the floor splits the same rows in two. Another file: all its rows, likewise, and with
    ``check_training`` the description counts those the run trained on (:func:`trained_on`).
    """
    from ..data import BUILTIN_DATASETS
    from ..data.registry import DATASET_INFO, unseen

    own = str(run.config.get("data", ""))
    spec = own if spec is None else spec
    is_own = own not in BUILTIN_DATASETS and Path(spec).resolve() == Path(own)
    if run.context is not None and not is_own:
        raise UsageError(
            "a conditional run is evaluated on its own held-out rows, whose contexts drive the "
            "samples: leave out --data"
        )
    if spec in BUILTIN_DATASETS:
        fresh = unseen(spec)  # a finite set's draws repeat its training rows: its held-out set
        finite = DATASET_INFO[fresh].rows if fresh in DATASET_INFO else None
        if finite is not None and 3 * n > finite:  # distinct rows, the floor from their halves
            x = read_data(fresh, min(n, finite), seed + EVAL_SEED_OFFSET)
            return x, x, f"{len(x)} distinct rows of {fresh}" + _of(spec, fresh), None
        x = read_data(fresh, 3 * n, seed + EVAL_SEED_OFFSET)
        what = f"{n} fresh draws of {spec}" if fresh == spec else f"{n} draws of {fresh}"
        return x[:n], x[n:], what + _of(spec, fresh), None
    context = None
    if is_own:
        x = run.heldout()
        if len(x) < 4:
            raise UsageError(
                f"run '{run.dir}' kept {len(x)} of its rows out of training (dmm train "
                "--holdout); evaluating on training rows would flatter it: give --data FILE "
                "with rows it never saw"
            )
        what = f"the {len(x)} rows of {Path(own).name} held out at training time"
        if run.context is not None:
            context = run.heldout_context()
    else:
        x = read_data(spec, n, seed)
        what = f"the {len(x)} rows of {spec}"
    x = run.process.space.validate(x)  # before the shuffle: an error names the file's rows
    if check_training and not is_own:
        what += trained_on(run, x, quiet)
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    return x[perm], x[perm], what, None if context is None else context[perm]


def trained_on(run: Run, rows: Tensor, quiet: bool = False) -> str:
    """``""``, or where some of the evaluation ``rows`` are rows the run trained on
    (:meth:`~dmm.cli.rundir.Run.trained_rows`), a clause saying how many, and a note on stderr
    unless ``quiet``: such rows flatter the model."""
    trained = run.trained_rows()
    if trained is not None:  # as the evaluation rows are: a wrapping torus's angles wrapped
        trained = run.process.space.validate(trained)
    shared = 0 if trained is None else shared_rows(rows, trained)
    if not shared:
        return ""
    if not quiet:
        print(
            f"note: {shared} of the {len(rows)} rows given are rows '{run.dir}' trained on: "
            "the metrics flatter it (give rows it never saw)",
            file=sys.stderr,
            flush=True,
        )
    return f", {shared} of them training rows"


def _c2st(samples: Tensor, reference: Tensor, seed: int, permutations: int) -> dict[str, Any]:
    """The classifier two-sample test's ROC AUC (0.5: indistinguishable) on all the reference
    rows and its null spread (:func:`~dmm.metrics.classifier.c2st_null`, ``permutations``
    deals), or ``None`` with the reason (scikit-learn missing, too few rows)."""
    m = min(len(samples), len(reference))
    try:
        auc = c2st_auc(samples[:m], reference[:m], seed=seed)
        null = c2st_null(samples[:m], reference[:m], permutations, seed=seed)
    except (ImportError, ValueError) as exc:
        return {"c2st_auc": None, "c2st_note": " ".join(str(exc).split())}
    return {"c2st_auc": auc, "c2st_n": m, **null}


#: the neighbourhood size of the k-NN precision and recall (Kynkäänniemi et al. 2019 use 3)
PR_K = 3


def _manifold(samples: Tensor, reference: Tensor) -> dict[str, Any]:
    """k-NN precision and recall on the rows :func:`_c2st` compares, or ``None`` with the
    reason when there are too few rows."""
    m = min(len(samples), len(reference))
    try:
        pr = precision_recall(samples[:m], reference[:m], PR_K)
    except ValueError as exc:
        return {"precision": None, "recall": None, "pr_note": " ".join(str(exc).split())}
    return {"precision": pr["precision"], "recall": pr["recall"], "pr_k": PR_K, "pr_n": m}


def _off_support(spec: str, samples: Tensor, reference: Tensor) -> dict[str, Any]:
    """The share of samples off the declared support of the built-in ``spec`` (with the share
    of the reference rows off it, and what the support is); empty when none is declared."""
    from ..data.registry import BUILTIN_DATASETS, DATASET_INFO

    info = DATASET_INFO.get(spec) if spec in BUILTIN_DATASETS else None
    if info is None or info.support is None:
        return {}

    def off(x: Tensor) -> float:
        return float((~info.support(x)).double().mean())

    return {
        "off_support": off(samples),
        "off_support_reference": off(reference),
        "off_support_n": len(samples),
        "off_support_reference_n": len(reference),
        "support_note": info.support_note,
    }


def _two_sample(
    run_: Run,
    setup: dict[str, Any],
    rows: tuple[Tensor, Tensor, str, Tensor | None],
    seed: int,
    spec: str,
    n: int,
    device: str | None,
    callback,
    permutations: int,
) -> dict[str, Any]:
    """The two-sample metrics of one draw of samples (sampling and classifier seed ``seed``)
    against the reference rows of ``rows`` (:func:`eval_data`), the structure-seeing ones first;
    the C2ST's null spread from ``permutations`` deals."""
    reference, floor_data, _, context = rows
    n_samples = n if context is None else len(context)  # conditional: one per row
    if len(floor_data) < 4:
        raise UsageError(f"--data needs at least 4 rows for the noise floor, got {len(floor_data)}")
    reference = run_.process.space.validate(reference)  # shape, finiteness, support (names rows)
    floor_data = run_.process.space.validate(floor_data)
    samples = draw(run_, setup, n_samples, seed, device, callback, context=context)
    require_finite(samples)  # the metrics of non-finite samples are meaningless
    samples, reference = samples.cpu(), reference.cpu()
    space = run_.process.space  # compared where the space has no cut: a torus in (cos, sin)
    ours, theirs, floor = space.embed(samples), space.embed(reference), space.embed(floor_data)
    if context is not None:  # a conditional run: the joint law of (x, c), each row its context
        c = run_.context.encode(context).cpu().double()  # the run's standardised context
        ours, theirs, floor = (torch.cat([z.double(), c], dim=1) for z in (ours, theirs, floor))
    structure = {  # the metrics that see blur and mass in empty regions
        **_c2st(ours, theirs, seed, permutations),
        **_manifold(ours, theirs),
        **_off_support(spec, samples, reference),
    }
    lead = [k for k in ("c2st_auc", "precision", "recall", "off_support") if k in structure]
    g = torch.Generator().manual_seed(seed)
    return {
        **{k: structure[k] for k in lead},  # first in the JSON, then their details
        **structure,
        **_coordinates(space.embedding, context is not None),
        **two_sample_report(ours, theirs, floor.cpu(), n_samples, g),
        **_tails(run_, samples, reference),
    }


def _coordinates(embedding: str, conditional: bool) -> dict[str, str]:
    """What the metrics' rows hold, where it is not the data's own coordinates."""
    parts = [embedding] if embedding else []
    if conditional:
        parts.append("each row's context (standardised as the run does) beside it")
    return {"coordinates": "; ".join(parts)} if parts else {}


#: quantile levels of ``|x|`` that ``dmm eval`` compares (0.9999 needs 10^4 rows to mean much)
TAIL_LEVELS = (0.99, 0.999)
#: a side's quantile ``q`` is reported where at least this many of its rows lie beyond it (40
#: held-out rows gave a "0.999 quantile" that was their largest value)
TAIL_ROWS_BEYOND = 2
#: a side's Hill index (its top 1%) is reported from this many rows (10 in the top 1%)
HILL_MIN_ROWS = 1000


def _tails(run_: Run, samples: Tensor, reference: Tensor) -> dict[str, Any]:
    """For a run on ``R^d``: the quantiles of ``|x|`` of the samples and the reference rows at
    :data:`TAIL_LEVELS`, the log-ratio of each pair (0: the tail's size is right; a heavy tail
    that comes out too light reads negative) and the Hill index of each (top 1% of the rows);
    in the data's units."""
    if not isinstance(run_.process.space, Euclidean):
        return {}
    ours, theirs = _tail_side(samples), _tail_side(reference)
    ratios = {}
    for q in TAIL_LEVELS:  # every key in every draw (None where undefined): --draws averages
        a, b = ours.get(f"q{q}"), theirs.get(f"q{q}")
        ratios[f"log_ratio_q{q}"] = math.log(a / b) if a and b and a > 0 and b > 0 else None
    return {"tails": {**ratios, "samples": ours, "reference": theirs}}


def _tail_side(x: Tensor) -> dict[str, Any]:
    """:func:`~dmm.metrics.tails.tail_summary` of one side, its Hill index ``None`` with the
    reason where it is undefined (fewer than 3 rows, or top radii all equal: rows of one norm)."""
    r = radii(x).cpu().numpy()  # numpy's quantile: no limit on the rows (torch's: 2^24)
    out: dict[str, Any] = {}
    for q in TAIL_LEVELS:  # a quantile with fewer than 2 rows beyond it is one row's value
        out[f"q{q}"] = float(np.quantile(r, q)) if len(r) * (1 - q) >= TAIL_ROWS_BEYOND else None
    if any(v is None for v in out.values()):
        need = ", ".join(f"q{q}: {math.ceil(TAIL_ROWS_BEYOND / (1 - q))}" for q in TAIL_LEVELS)
        out["note"] = f"{len(r)} rows: a quantile needs {TAIL_ROWS_BEYOND} rows beyond it ({need})"
    if len(r) < HILL_MIN_ROWS:
        out["hill"] = None
        out["hill_note"] = f"{len(r)} rows: the Hill index of the top 1% needs {HILL_MIN_ROWS}"
        return out
    try:
        out["hill"] = tail_summary(x, ())["hill"]
    except ValueError as exc:
        out["hill"], out["hill_note"] = None, " ".join(str(exc).split())
    return out


#: below this many rows per side ``dmm eval`` suggests ``--draws`` (C2ST AUC null sd: ≥ 0.029)
FEW_ROWS = 200


def _few_rows_note(n: int | None, args: argparse.Namespace) -> None:
    """On stderr (stdout is the JSON; nothing with ``--quiet``): with few rows one draw moves the
    C2ST AUC by about its null sd, which ``--draws`` averages away."""
    if args.draws == 1 and not args.quiet and n is not None and 2 <= n < FEW_ROWS:
        print(
            f"note: the C2ST AUC compares {n} rows per side (null sd at least "
            f"{c2st_null_sd(n):.2f}); one "
            "draw of samples moves it by about as much: --draws 10 averages ten draws",
            file=sys.stderr,
            flush=True,
        )


def _with_first_null(mean: dict[str, Any], draws: list[dict[str, Any]]) -> dict[str, Any]:
    """The mean over the draws with the first draw's C2ST null spread, the only one measured
    (the others carry the Mann–Whitney bound, which must not be averaged into it)."""
    for key in ("c2st_null_sd", "c2st_null"):
        if key in draws[0]:
            mean[key] = draws[0][key]
    return mean


def _draw_label(r: int, draws: int) -> str:
    return "sampling" if draws == 1 else f"sampling, draw {r + 1}/{draws}"


def run(args: argparse.Namespace) -> int:
    n_given = args.n is not None
    if args.n is None:
        args.n = DEFAULT_N if not _table_dir(args.run_dir) else None
    if args.n is not None and args.n < 2:
        raise UsageError(f"-n must be at least 2, got {args.n}")
    if args.draws < 1:
        raise UsageError(f"--draws must be at least 1, got {args.draws}")
    if args.null_permutations == 1 or args.null_permutations < 0:
        raise UsageError(
            f"--null-permutations must be 0 or at least 2, got {args.null_permutations}"
        )
    run_ = _load_run(args.run_dir, ema=not args.no_ema, device=args.device)
    require_writable(run_.dir, "dmm eval writes eval.json into the run folder")
    setup = sampling_setup(run_, args)
    from .tables import is_table_run

    if args.likelihood:
        _check_likelihood(run_)
    if is_table_run(run_):
        return _run_table(args, run_, setup)
    device, spec = args.device, str(args.data or run_.config.get("data", ""))
    if run_.context is not None and n_given:
        print(
            f"note: -n {args.n} is not used: a conditional run draws one sample per held-out "
            "row, with that row's context",
            file=sys.stderr,
            flush=True,
        )
    draws = []
    for r in range(args.draws):  # draw r is the evaluation with --seed SEED + r
        seed = args.seed + r
        rows = eval_data(run_, args.data, args.n, seed, r == 0, args.quiet)  # once: draw 0's
        if r == 0:  # the error report reads the first draw's rows
            reference, _, what, context = rows
        with progress(args, setup["steps"], _draw_label(r, args.draws)) as callback:
            permutations = args.null_permutations if r == 0 else 0
            draws.append(
                _two_sample(run_, setup, rows, seed, spec, args.n, device, callback, permutations)
            )
    n_samples = args.n if context is None else len(context)  # conditional: one per row
    reference = run_.process.space.validate(reference).to(device)
    two = _with_first_null(mean_over_draws(draws), draws)
    if args.draws > 1:
        two.update(draws=args.draws, draw_sd=draw_spread(draws, DRAW_KEYS))
    _few_rows_note(two.get("c2st_n"), args)
    n_num = min(n_samples, NUMERICAL_N)

    def sample_with(n: int, steps: int) -> torch.Tensor:
        with progress(args, steps, f"numerical term, {steps} steps") as callback:
            ctx = None if context is None else context[:n]
            step_setup = {**setup, "steps": steps}
            if setup["grid"] is not None and steps != setup["steps"]:  # fitted for this count
                step_setup["grid"] = sample_grid(
                    run_, setup["sampler"], steps, "fitted", args.seed, setup["sampler_name"]
                )
            y = draw(run_, step_setup, n, args.seed + 1, device, callback, context=ctx)
            return run_.built.encode(y).cpu()  # compared with the encoded reference rows

    report = error_report(
        run_.process,
        run_.model,
        run_.built.loss,
        run_.built.encode(reference),  # the terms live in the model's coordinates
        sample_with,
        setup["steps"],
        n_num,
        torch.Generator(device=reference.device).manual_seed(args.seed),
        seed=args.seed,
        context=None if context is None else run_.context.encode(context).to(device),
    )
    family: dict[str, Any] = {}  # the family's own numbers are for unconditional models
    if run_.spec.evaluate and context is None:
        family = run_.spec.evaluate(run_.process, run_.model, reference)
    elif run_.spec.evaluate and not isinstance(run_.spec, UserProcess):  # a user's: if a chain
        family = {"note": f"{run_.spec.name}'s own numbers are for unconditional runs"}
    out = _finite(
        {
            "run": str(run_.dir),
            "process": run_.spec.name,
            "data": args.data or run_.config.get("data"),
            "reference": what,
            "n": int(two["n"]),  # the rows each two-sample metric compared
            "n_samples": n_samples,
            "sampler": setup["sampler_name"],
            "steps": setup["steps"],
            "grid": grid_name(setup["sampler"], getattr(args, "grid", None)),
            "nfe": setup["nfe"],  # network evaluations per sample (None: not fixed)
            **({"fit_nfe": setup["fit_nfe"]} if setup.get("fit_nfe") is not None else {}),
            "denoise": setup["denoise"],
            "ema": not args.no_ema,
            "step": int(run_.checkpoint["step"]),
            "two_sample": two,
            "error_report": report,
            "family": {k: v if isinstance(v, str) else float(v) for k, v in family.items()},
            **({"likelihood": _likelihood(run_, reference)} if args.likelihood else {}),
        }
    )
    try:
        with replacing(run_.dir / EVAL) as tmp:
            tmp.write_text(json.dumps(out, indent=2) + "\n")
    finally:  # also where the folder refused the file: the metrics reach the user
        print(json.dumps(out), flush=True)
    return 0


def _table_dir(run_dir: str) -> bool:
    """Whether ``run_dir`` holds a table run (read before anything is built)."""
    try:
        from .config import read_config_file

        return str(read_config_file(Path(run_dir) / "config.yaml").get("process")) == "tabular"
    except Exception:  # no or a bad config: load_run reports it
        return False


def _run_table(args: argparse.Namespace, run: Run, setup: dict[str, Any]) -> int:
    """``dmm eval`` of a table run: the table metrics as JSON (printed and ``eval.json``) and
    a Markdown report (``eval.md``)."""
    from ..tabular.metrics import report_markdown
    from .tables import evaluate_table

    draws = []
    for r in range(args.draws):  # draw r: sampling seed and the metrics' seed + r
        with progress(args, setup["steps"], _draw_label(r, args.draws)) as callback:
            result, _, _ = evaluate_table(
                run,
                setup,
                args.n,
                args.seed + r,
                args.data,
                args.device,
                callback,
                with_floor=True,
                null_permutations=args.null_permutations if r == 0 else 0,
            )
        draws.append(result)
    result = _with_first_null(mean_over_draws(draws), draws)
    if args.draws > 1:
        result.update(draws=args.draws, draw_sd=draw_spread(draws, TABLE_DRAW_KEYS))
    _few_rows_note(min(result["n_test"], result["n_synthetic"]), args)
    out = _finite(
        {
            "run": str(run.dir),
            "process": run.spec.name,
            "data": args.data or run.config.get("data"),
            "sampler": setup["sampler_name"],
            "steps": setup["steps"],
            "nfe": setup["nfe"],
            "step": int(run.checkpoint["step"]),
            **result,
        }
    )
    title = f"{run.dir.name}: synthetic rows against {result['reference']}"
    try:
        with replacing(run.dir / EVAL) as tmp:
            tmp.write_text(json.dumps(out, indent=2) + "\n")
        with replacing(run.dir / "eval.md") as tmp:
            tmp.write_text(report_markdown(out, title=title))
    finally:  # also where the folder refused the files: the metrics reach the user
        print(json.dumps(out), flush=True)
    return 0
