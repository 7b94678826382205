"""``dmm plot``: samples against the training data (``samples.png``: the layouts of
:func:`dmm.plotting.choose_layout`, coordinates named by the training ``.csv`` header) and an
animation of the backward process (``backward.gif``) in the run folder."""

from __future__ import annotations

import argparse

import torch

from .rundir import GIF, LOSS_PLOT, SAMPLES_PLOT, load_run, require_writable
from .sample import (
    add_sampling_options,
    column_names,
    draw,
    progress,
    require_finite,
    sampling_setup,
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plot",
        help="draw samples.png and backward.gif for a run",
        description="Draw samples against the training data and a GIF of the "
        "backward process into the run folder DIR.",
    )
    p.add_argument("run_dir", metavar="DIR", help="run folder written by dmm train")
    p.add_argument("-n", type=int, default=2000, help="samples to draw (default 2000)")
    p.add_argument("--frames", type=int, default=40, help="GIF frames (default 40)")
    p.add_argument(
        "--data",
        metavar="TABLE",
        help="a table run: the rows to draw against the samples (default: the training rows "
        "for the marginals and the scatter, the rows held out at training time for the "
        "association; a run saved by TabularModel kept none)",
    )
    add_sampling_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .errors import UsageError, require_plotting

    require_plotting("dmm plot")
    from .. import plotting

    if args.n < 1 or args.frames < 2:
        raise UsageError("-n must be positive and --frames at least 2")
    run_ = load_run(args.run_dir, ema=not args.no_ema, device=args.device)
    require_writable(run_.dir, "dmm plot writes its figures into the run folder")
    setup = sampling_setup(run_, args)
    from .tables import is_table_run

    if is_table_run(run_):
        return _plot_table(args, run_, setup)
    if args.data is not None:
        raise UsageError("--data is for table runs: other runs are drawn against their own data")
    steps = setup["steps"]
    every = max(1, -(-steps // (args.frames - 1)))  # ceil: at most `frames` frames
    frames: list[tuple[float, torch.Tensor]] = []
    n_gif = min(args.n, 1000)

    def record(k: int, t: torch.Tensor, y: torch.Tensor) -> None:
        if k % every == every - 1 or k == steps - 1:
            frames.append((float(t), y.detach().cpu().clone()))

    y0 = run_.process.reference.sample(n_gif, torch.Generator().manual_seed(args.seed))
    frames.append((run_.process.T, y0))
    from ..reversal import Reversal
    from ..samplers import simulate

    # a conditional run draws with the training rows' contexts (cycled): its samples then
    # follow the data's own mix of contexts, comparable with the data drawn beside them
    context = None
    if run_.context is not None:
        rows = run_.context_rows()
        context = rows[torch.arange(args.n) % len(rows)]
    encoded = None if context is None else run_.context.encode(context[:n_gif]).to(args.device)
    g = torch.Generator(device=args.device).manual_seed(args.seed)
    with progress(args, steps, f"{GIF} frames", then=record) as callback:
        y = simulate(
            Reversal(run_.process, run_.model, encoded),
            setup["sampler"],
            n_gif,
            steps,
            g,
            y_init=y0.to(args.device),
            grid=setup["grid"],
            denoise=setup["denoise"],
            callback=callback,
        )
    if setup["denoise"]:
        frames.append((run_.process.t_min, y.cpu()))
    with progress(args, steps, f"{SAMPLES_PLOT} samples") as callback:
        samples = draw(run_, setup, args.n, args.seed, args.device, callback, context=context)
    samples = samples.cpu()
    require_finite(samples)
    title = (
        f"{run_.spec.name} on {run_.config.get('data', '')}: {args.n} samples "
        f"({setup['sampler_name']}, {steps} steps"
        f"{', fitted grid' if setup['grid'] is not None else ''})"
    )
    data = run_.data[: max(args.n, 2000)]
    names = column_names(run_, data[0].numel())
    plotting.plot_samples(samples, data, run_.dir / SAMPLES_PLOT, title, names=names)
    plotting.backward_gif(frames, run_.data[:2000], run_.dir / GIF)
    history = run_.checkpoint.get("history", [])
    if history:
        plotting.plot_loss(history, run_.dir / LOSS_PLOT)
    from PIL import Image

    with Image.open(run_.dir / GIF) as gif:  # as stored: equal neighbouring frames are one
        stored = gif.n_frames
    print(f"wrote {run_.dir / SAMPLES_PLOT}, {run_.dir / GIF} ({stored} frames)")
    return 0


def _plot_table(args: argparse.Namespace, run, setup) -> int:
    """A table run: ``marginals.png`` (every column, real rows against synthetic),
    ``correlation.png`` (pairwise association) and ``scatter.png`` (the first two numeric
    columns, coloured by the first categorical one). The real rows: ``--data TABLE``'s for all
    three; without it the training rows for the marginals and the scatter, and the rows held out
    at training time for the association (what ``dmm eval`` compares)."""
    from ..tabular.plots import plot_correlation_difference, plot_marginals, plot_scatter
    from .tables import codec_of, evaluate_table

    schema = codec_of(run).schema
    with progress(args, setup["steps"], "sampling") as callback:
        result, reference, synthetic = evaluate_table(
            run, setup, args.n, args.seed, args.data, args.device, callback
        )
    from .tables import split_frames

    # the real rows drawn: --data TABLE's, or the training rows (more of them than were held out)
    train = reference if args.data is not None else schema.comparable(split_frames(run)[0])
    # ordered levels: bars of the levels in their order on the marginals; dates, and ordered
    # levels on a scatter's axis, are drawn as the numbers the metrics read: say so there
    orders = {c.name: c.levels for c in schema.columns if c.type == "ordinal" and c.levels}
    marginals = plot_marginals(
        train, synthetic, schema.kinds(), run.dir / "marginals.png", orders=orders
    )
    names = {c.name: f"{c.name} (days since 1970)" for c in schema.columns if c.type == "datetime"}
    names |= {
        name: f"{name} (0 = {levels[0]}, {len(levels) - 1} = {levels[-1]})"
        for name, levels in orders.items()
    }
    train, synthetic = train.rename(columns=names), synthetic.rename(columns=names)
    kinds = {names.get(c, c): kind for c, kind in schema.kinds().items()}
    written = [marginals, plot_correlation_difference(result, run.dir / "correlation.png")]
    numeric = [c for c, k in kinds.items() if k == "numeric"]
    categorical = [c for c, k in kinds.items() if k == "categorical" and train[c].nunique() > 1]
    axes = (numeric + categorical)[:2]
    if len(axes) == 2:
        hue = next((c for c in categorical if c not in axes), None)
        written.append(plot_scatter(train, synthetic, *axes, run.dir / "scatter.png", hue=hue))
    print(f"wrote {', '.join(str(p) for p in written)}")
    return 0
