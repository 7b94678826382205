"""Figures for runs and the demo: samples against data, the loss curve, and a GIF of the backward
process. Matplotlib (Agg backend) and Pillow are optional extras (``pip install dmm[plot]``).

Points of any state space are drawn through their flat coordinates (``x.reshape(n, -1)``), in one
of the layouts :func:`choose_layout` picks: a scatter for two real coordinates; for more, a pair
plot of the :data:`MAX_PAIR_DIMS` coordinates of largest variance (in the data) above histograms of
every coordinate (at most :data:`MAX_MARGINALS`, those of largest variance); histograms alone for
one coordinate or integer (finite-state) data; and image grids for integer data of image shape
(see :func:`image_shape`), such as the 8×8 ``digits``.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from .data.files import replacing  # noqa: E402

#: coordinates in a pair plot (those of largest variance)
MAX_PAIR_DIMS = 4
#: histograms in a marginal grid (those of largest variance beyond this)
MAX_MARGINALS = 48
#: an integer coordinate vector of ``k * k`` entries is drawn as an image from this side on
MIN_IMAGE_SIDE = 8
#: images per grid in the image layout
MAX_IMAGES = 64
MAX_POINTS = 4000


def _flat(x: torch.Tensor | np.ndarray) -> np.ndarray:
    a = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    return a.reshape(a.shape[0], -1)


def _limits(*arrays: np.ndarray) -> list[tuple[float, float]]:
    both = np.concatenate([a[np.isfinite(a).all(1)] for a in arrays])
    lo, hi = np.percentile(both, 0.5, axis=0), np.percentile(both, 99.5, axis=0)
    size = np.maximum(np.abs(lo), np.abs(hi))
    # a span relative to the values' size: data of scale 1e-9 fill the axis, and a constant
    # column gets a window of its own size (1 around 0) that float rounding can still tell apart
    span = np.where(hi > lo, np.maximum(hi - lo, 1e-9 * size), np.where(size > 0, size, 1.0))
    pad = 0.08 * span
    return list(zip(lo - pad, hi + pad, strict=True))


def _scatter(ax, a: np.ndarray, i: int, j: int, color: str, label: str | None = None) -> None:
    ax.scatter(
        a[:MAX_POINTS, i],
        a[:MAX_POINTS, j],
        s=2,
        alpha=0.4,
        color=color,
        label=label,
        rasterized=True,
    )


def _hist(ax, a: np.ndarray, i: int, color: str, bins, label: str | None = None) -> None:
    ax.hist(a[:, i], bins=bins, density=True, histtype="step", color=color, label=label)


def _bins(a: np.ndarray, b: np.ndarray, i: int, integer: bool):
    if integer:
        lo, hi = int(min(a[:, i].min(), b[:, i].min())), int(max(a[:, i].max(), b[:, i].max()))
        return np.arange(lo, hi + 2) - 0.5
    lo, hi = _limits(a[:, [i]], b[:, [i]])[0]
    return np.linspace(lo, hi, 41)


def image_shape(event_shape: Sequence[int], integer: bool) -> tuple[int, int] | None:
    """``(height, width)`` when points of ``event_shape`` are images: integer data either of
    shape ``(H, W)`` (both at least 4) or of ``k * k`` flat coordinates with
    ``k >= MIN_IMAGE_SIDE`` (the 8×8 ``digits``); otherwise ``None``."""
    shape = tuple(int(s) for s in event_shape)
    if not integer:
        return None
    if len(shape) == 2 and min(shape) >= 4:
        return shape
    side = math.isqrt(math.prod(shape))
    if len(shape) == 1 and side >= MIN_IMAGE_SIDE and side * side == shape[0]:
        return side, side
    return None


def choose_layout(data, event_shape: Sequence[int] | None = None) -> str:
    """The layout of :func:`draw_samples` for ``data`` (points of ``event_shape``, default
    ``data.shape[1:]``): ``"images"``, ``"scatter"`` (two real coordinates), ``"marginals"`` (one
    coordinate, or integer data) or ``"pairs"`` (three or more real coordinates)."""
    a = data.detach().cpu().numpy() if isinstance(data, torch.Tensor) else np.asarray(data)
    integer = not np.issubdtype(a.dtype, np.floating)
    shape = tuple(a.shape[1:]) if event_shape is None else tuple(event_shape)
    if image_shape(shape, integer) is not None:
        return "images"
    dim = math.prod(shape)
    if dim == 2 and not integer:
        return "scatter"
    return "marginals" if dim == 1 or integer else "pairs"


def most_varying(data: np.ndarray, k: int) -> np.ndarray:
    """Indices (ascending) of the ``k`` flat coordinates of ``data`` with the largest variance."""
    a = _flat(data)
    var = np.nan_to_num(a[np.isfinite(a).all(1)].astype(np.float64).var(0), nan=0.0)
    return np.sort(np.argsort(-var, kind="stable")[: min(k, a.shape[1])])


def draw_samples(
    samples,
    data,
    title: str = "",
    fig: Any = None,
    names: Sequence[str] | None = None,
    event_shape: Sequence[int] | None = None,
) -> Any:
    """Samples (orange) against data (blue) on ``fig`` (a new figure by default), in the layout of
    :func:`choose_layout`; ``names`` label the flat coordinates (default ``x0, x1, ...``)."""
    s, d = _flat(samples), _flat(data)
    names = list(names) if names is not None else [f"x{i}" for i in range(d.shape[1])]
    shape = tuple(np.shape(data)[1:]) if event_shape is None else tuple(event_shape)
    layout = choose_layout(d, shape)
    integer = not np.issubdtype(d.dtype, np.floating)
    if layout == "images":
        fig, note = _draw_images(s, d, image_shape(shape, True), fig), ""
    elif layout == "scatter":
        fig, note = _draw_scatter(s, d, fig, names[:2]), ""
    elif layout == "marginals":
        fig = fig or plt.figure(figsize=_grid_size(min(d.shape[1], MAX_MARGINALS)))
        note = _draw_marginals(fig, s, d, names, integer)
    elif d.shape[1] <= MAX_PAIR_DIMS:
        fig = fig or plt.figure(figsize=(2.4 * d.shape[1], 2.4 * d.shape[1]))
        _draw_pairs(fig, s, d, np.arange(d.shape[1]), names)
        note = ""
    else:
        fig, note = _draw_pairs_and_marginals(s, d, names, fig)
    if title or note:
        fig.suptitle("\n".join(x for x in (title, note) if x), fontsize=10)
    if fig.get_layout_engine() is None:
        fig.tight_layout()
    return fig


#: the largest ratio of two coordinates' ranges drawn at equal scale
EQUAL_ASPECT_MAX = 5.0


def _aspect(ax: Any, lim) -> None:
    """Equal scales on both axes (shapes as they are) when the two ranges are comparable; each
    axis its own scale otherwise (a price in thousands against a return in hundredths drew a
    flat line)."""
    spans = [hi - lo for lo, hi in lim[:2]]
    ratio = max(spans) / min(spans) if min(spans) > 0 else math.inf
    ax.set_aspect("equal" if ratio <= EQUAL_ASPECT_MAX else "auto")


def _grid_size(count: int) -> tuple[float, float]:
    cols = min(count, 8)
    return 1.5 * cols + 0.6, 1.35 * math.ceil(count / cols) + 0.8


def _draw_scatter(s: np.ndarray, d: np.ndarray, fig: Any, names: Sequence[str]) -> Any:
    """Data and samples side by side on the data's frame, axes named by the coordinates."""
    fig = fig or plt.figure(figsize=(8, 4))
    lim = _limits(d)  # the data frame the picture; stray samples are cropped
    for k, (a, name, color) in enumerate(((d, "data", "C0"), (s, "samples", "C1"))):
        ax = fig.add_subplot(1, 2, k + 1)
        _scatter(ax, a, 0, 1, color)
        ax.set_xlim(*lim[0])
        ax.set_ylim(*lim[1])
        _aspect(ax, lim)
        ax.set_title(name)
        ax.set_xlabel(names[0], fontsize=9)
        ax.set_ylabel(names[1], fontsize=9)
        ax.tick_params(labelsize=7)
    return fig


def _draw_marginals(fig: Any, s: np.ndarray, d: np.ndarray, names, integer: bool) -> str:
    """Histograms of every coordinate (the :data:`MAX_MARGINALS` of largest variance when there
    are more); returns a note for the title when capped."""
    dim = d.shape[1]
    shown = most_varying(d, MAX_MARGINALS) if dim > MAX_MARGINALS else np.arange(dim)
    cols = min(len(shown), 8)
    rows = math.ceil(len(shown) / cols)
    for k, i in enumerate(shown):
        ax = fig.add_subplot(rows, cols, k + 1)
        bins = _bins(d, s, i, integer)
        _hist(ax, d, i, "C0", bins, "data")
        _hist(ax, s, i, "C1", bins, "samples")
        ax.set_title(names[i], fontsize=7)
        ax.tick_params(labelsize=6)
        ax.set_yticks([])
        if k == 0:
            ax.legend(fontsize=6)
    if len(shown) < dim:
        return f"histograms of the {len(shown)} of {dim} coordinates with the largest variance"
    return ""


def _draw_pairs(fig: Any, s: np.ndarray, d: np.ndarray, idx: np.ndarray, names) -> None:
    """A pair plot of the coordinates ``idx``: histograms on the diagonal, scatters off it."""
    dim = len(idx)
    lim = _limits(d[:, idx])
    for r, i in enumerate(idx):
        for c, j in enumerate(idx):
            ax = fig.add_subplot(dim, dim, r * dim + c + 1)
            if r == c:
                bins = _bins(d, s, i, False)
                _hist(ax, d, i, "C0", bins, "data")
                _hist(ax, s, i, "C1", bins, "samples")
            else:
                _scatter(ax, d, j, i, "C0")
                _scatter(ax, s, j, i, "C1")
                ax.set_ylim(*lim[r])
            ax.set_xlim(*lim[c])
            # the data's units on the outer edges (a histogram's counts are left unlabelled)
            if r == dim - 1:
                ax.locator_params(axis="x", nbins=3)
                ax.tick_params(axis="x", labelsize=6)
            else:
                ax.set_xticks([])
            if c == 0 and r != c:
                ax.locator_params(axis="y", nbins=3)
                ax.tick_params(axis="y", labelsize=6)
            else:
                ax.set_yticks([])
            if r == dim - 1:
                ax.set_xlabel(names[j], fontsize=8)
            if c == 0:
                ax.set_ylabel(names[i], fontsize=8)
    fig.axes[0].legend(fontsize=7)


def _draw_pairs_and_marginals(s: np.ndarray, d: np.ndarray, names, fig: Any) -> tuple[Any, str]:
    """Above: the pair plot of the :data:`MAX_PAIR_DIMS` most varying coordinates; below: the
    histograms of all coordinates."""
    dim = d.shape[1]
    width, height = _grid_size(min(dim, MAX_MARGINALS))
    pair_height = 2.2 * MAX_PAIR_DIMS
    fig = fig or plt.figure(figsize=(max(width, pair_height), pair_height + height))
    if fig.get_layout_engine() is None:
        fig.set_layout_engine("constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[pair_height, height])
    _draw_pairs(top, s, d, most_varying(d, MAX_PAIR_DIMS), names)
    top.suptitle(f"the {MAX_PAIR_DIMS} of {dim} coordinates with the largest variance", fontsize=9)
    note = _draw_marginals(bottom, s, d, names, integer=False)
    bottom.suptitle(note or f"histograms of all {dim} coordinates", fontsize=9)
    capped = f"(histograms capped at {MAX_MARGINALS} of {dim} coordinates)"
    return fig, capped if note else ""


def _image_grid(a: np.ndarray, shape: tuple[int, int], count: int, cols: int = 8) -> np.ndarray:
    """The first ``count`` rows of ``a`` as images on one canvas (NaN between them)."""
    h, w = shape
    count = min(count, len(a))
    rows = math.ceil(count / cols)
    canvas = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), np.nan)
    for k in range(count):
        r, c = divmod(k, cols)
        canvas[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = a[k].reshape(h, w)
    return canvas


def _image_axes(ax, canvas: np.ndarray, lo: float, hi: float, name: str) -> None:
    cmap = plt.get_cmap("gray_r").with_extremes(bad="white", over="tab:red", under="tab:blue")
    ax.imshow(canvas, cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest")
    ax.set_title(name)
    ax.axis("off")


def _draw_images(s: np.ndarray, d: np.ndarray, shape: tuple[int, int], fig: Any) -> Any:
    """Training images next to samples, on the data's grey scale (values outside it in colour)."""
    fig = fig or plt.figure(figsize=(9, 4.9))
    lo, hi = float(d.min()), float(d.max())
    count = min(MAX_IMAGES, len(s), len(d))
    for k, (a, name) in enumerate(((d, "training data"), (s, "samples"))):
        ax = fig.add_subplot(1, 2, k + 1)
        _image_axes(ax, _image_grid(a.astype(np.float64), shape, count), lo, hi, name)
    return fig


def image_format(path: Any, default: str | None = None) -> str:
    """The image format ``path``'s suffix names (``png``, ``pdf``, ...), or ``default`` (else
    matplotlib's) for a path without one or a file object: a temporary's name, written in its
    place, must not decide it."""
    if isinstance(path, (str, PathLike)) and Path(path).suffix:
        return Path(path).suffix[1:].lower()
    return default or str(matplotlib.rcParams["savefig.format"])


def plot_samples(
    samples, data, path: str | Path, title: str = "", names: Sequence[str] | None = None
) -> Path:
    """Write :func:`draw_samples` to ``path`` (PNG); ``names`` label the coordinates."""
    fig = draw_samples(samples, data, title, names=names)
    with replacing(path) as tmp:
        fig.savefig(tmp, dpi=110, format=image_format(path))
    plt.close(fig)
    return Path(path)


def plot_loss(history: Sequence[dict[str, Any]], path: str | Path) -> Path:
    """Training loss (and validation loss where logged) against the step, log scale if positive."""
    fig, ax = plt.subplots(figsize=(5, 3.2))
    steps = [r["step"] for r in history]
    loss = [r["loss"] for r in history]
    # markers where there are few rows: one logged row (a short run) was a line of one point,
    # drawn as nothing
    ax.plot(steps, loss, "o-" if len(loss) < 20 else "-", label="train loss")
    val = [(r["step"], r["val_loss"]) for r in history if "val_loss" in r]
    if val:
        ax.plot(*zip(*val, strict=True), "o-", label="validation loss (EMA)")
    if loss and min(loss + [v for _, v in val]) > 0:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.legend()
    fig.tight_layout()
    with replacing(path) as tmp:
        fig.savefig(tmp, dpi=110, format=image_format(path))
    plt.close(fig)
    return Path(path)


def plot_panel(
    data,
    samples,
    path: str | Path,
    title: str = "",
    history: Sequence[dict[str, Any]] | None = None,
) -> Path:
    """A demo panel: data and samples (first two coordinates) side by side, and the loss curve."""
    d, s = _flat(data), _flat(samples)
    cols = 3 if history else 2
    fig = plt.figure(figsize=(3.4 * cols, 3.6))
    lim = _limits(d[:, :2]) if d.shape[1] >= 2 else None
    for k, (a, name, color) in enumerate(((d, "data", "C0"), (s, "samples", "C1"))):
        ax = fig.add_subplot(1, cols, k + 1)
        if lim is not None:
            _scatter(ax, a, 0, 1, color)
            ax.set_xlim(*lim[0])
            ax.set_ylim(*lim[1])
            _aspect(ax, lim)
        else:
            _hist(ax, a, 0, color, _bins(d, s, 0, not np.issubdtype(d.dtype, np.floating)))
        ax.set_title(name, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    if history:
        ax = fig.add_subplot(1, cols, 3)
        ax.plot([r["step"] for r in history], [r["loss"] for r in history], lw=1)
        ax.set_xlabel("step", fontsize=8)
        ax.set_title("training loss", fontsize=10)
        ax.tick_params(labelsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    with replacing(path) as tmp:
        fig.savefig(tmp, dpi=100, format=image_format(path))
    plt.close(fig)
    return Path(path)


def _frame(
    y: np.ndarray,
    t: float,
    lim,
    integer: bool,
    data: np.ndarray,
    shape: tuple[int, int] | None = None,
) -> Image.Image:
    fig, ax = plt.subplots(figsize=(3.6, 3.6))
    if shape is not None:  # the first 16 chains as images; values outside the data's in colour
        canvas = _image_grid(y.astype(np.float64), shape, 16, cols=4)
        _image_axes(ax, canvas, float(data.min()), float(data.max()), "")
    elif y.shape[1] >= 2 and not integer:
        _scatter(ax, data, 0, 1, "0.85")
        _scatter(ax, y, 0, 1, "C1")
        ax.set_xlim(*lim[0])
        ax.set_ylim(*lim[1])
        _aspect(ax, lim)
    else:
        bins = _bins(data, y, 0, integer)
        _hist(ax, data, 0, "0.6", bins)
        _hist(ax, y, 0, "C1", bins)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"backward process, t = {t:.3f}", fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    buf.seek(0)
    return Image.open(buf).convert("P", palette=Image.Palette.ADAPTIVE)


def backward_gif(
    frames: Sequence[tuple[float, torch.Tensor]], data, path: str | Path, duration_ms: int = 120
) -> Path:
    """A GIF of the backward process from ``(t, y_t)`` snapshots, over the data in grey (for
    image data: the first 16 chains as images)."""
    d = _flat(data)
    arrays = [(t, _flat(y)) for t, y in frames]
    integer = not np.issubdtype(d.dtype, np.floating)
    lim = _limits(d, arrays[-1][1]) if d.shape[1] >= 2 and not integer else None
    shape = image_shape(np.shape(data)[1:], integer)
    images = [_frame(a, t, lim, integer, d, shape) for t, a in arrays]
    images += [images[-1]] * 8  # rest on the final samples
    with replacing(path) as tmp:
        images[0].save(
            tmp,
            format=image_format(path, "gif"),
            save_all=True,
            append_images=images[1:],
            duration=duration_ms,
            loop=0,
        )
    return Path(path)


def _wrapped(text: str, fits) -> list[str]:
    """``text``'s lines, each broken at spaces into pieces for which ``fits(piece)`` holds (a word
    too long on its own keeps a line of its own)."""
    out = []
    for line in text.splitlines() or [""]:
        words, current = line.split(" "), ""
        for word in words:
            trial = word if not current else f"{current} {word}"
            if current and not fits(trial):
                out.append(current)
                trial = word
            current = trial
        out.append(current)
    return out


def gallery(tiles: Sequence[tuple[str, Path]], path: str | Path, width: int = 1400) -> Path:
    """One row per panel: each panel's PNG scaled to ``width`` pixels under its title, whose lines
    are wrapped to the width."""
    from PIL import ImageDraw, ImageFont

    font = ImageFont.load_default(size=22)
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    rows = []
    for title, png in tiles:
        with Image.open(png) as source:  # closed at once, not when collected
            im = source.convert("RGB")
        im = im.resize((width, max(1, round(im.height * width / im.width))), Image.LANCZOS)
        lines = _wrapped(title, lambda text: measure.textlength(text, font=font) <= width - 32)
        band = Image.new("RGB", (width, 14 + 30 * len(lines)), "white")
        draw = ImageDraw.Draw(band)
        for k, line in enumerate(lines):
            draw.text((16, 8 + 30 * k), line, fill="black", font=font)
        rows += [band, im]
    out = Image.new("RGB", (width, sum(r.height for r in rows) or 1), "white")
    y = 0
    for r in rows:
        out.paste(r, (0, y))
        y += r.height
    with replacing(path) as tmp:
        out.save(tmp, format=image_format(path, "png"))
    return Path(path)


def plot_tails(
    reference: torch.Tensor, samples: dict[str, torch.Tensor], path: str | Path, title: str = ""
) -> Path:
    """The survival function ``P(|x| > r)`` of the rows of ``reference`` and of each entry of
    ``samples``, on log-log axes: a power tail ``r^{-α}`` is a straight line of slope ``-α``,
    and a Gaussian tail bends down. Non-finite rows are dropped."""
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    curves = {"data": reference, **samples}
    for i, (name, x) in enumerate(curves.items()):
        r = x.double().reshape(x.shape[0], -1).norm(dim=1)
        r = np.sort(r[torch.isfinite(r)].numpy())[::-1]
        survival = np.arange(1, len(r) + 1) / len(r)
        style = {"color": "black", "lw": 2.0} if i == 0 else {"color": f"C{i - 1}", "lw": 1.2}
        ax.loglog(r, survival, label=f"{name} (n = {len(r):,})", **style)
    ax.set_xlabel("r")
    ax.set_ylabel("P(|x| > r)")
    ax.set_ylim(bottom=0.5 / max(len(x) for x in curves.values()))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as tmp:
        fig.savefig(tmp, dpi=120, format=image_format(path))
    plt.close(fig)
    return path


__all__ = [
    "backward_gif",
    "choose_layout",
    "draw_samples",
    "gallery",
    "image_shape",
    "most_varying",
    "plot_loss",
    "plot_panel",
    "plot_samples",
    "plot_tails",
]
