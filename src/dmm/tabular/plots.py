"""Figures of a synthetic table against real rows: marginals, association heat maps, scatters.

Every function draws on a fresh ``matplotlib.figure.Figure`` with the Agg canvas (no pyplot, so no
global backend or figure registry is touched), writes a PNG to ``path`` (parent folders are
created) and returns the path. Matplotlib is the optional extra ``plot``; it is imported inside the
functions. Missing cells: a numeric histogram uses the present values (the missing fractions go
in the panel title); a categorical missing cell is the level ``"<missing>"``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dmm.data.files import replacing
from dmm.tabular.metrics import MISSING

__all__ = ["plot_correlation_difference", "plot_marginals", "plot_scatter"]

#: bars per categorical panel; beyond it, the rarest levels (in the real rows) are pooled as "other"
MAX_LEVELS = 30
#: bins of a numeric histogram (shared by real and synthetic)
BINS = 40
#: points per scatter panel (a seeded subsample beyond it)
MAX_POINTS = 5000
REAL, SYNTHETIC = "tab:blue", "tab:orange"


def _figure(width: float, height: float) -> Any:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(
            "plotting needs matplotlib: pip install 'denoising-markov-models[plot]'"
        ) from exc
    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure


def _save(figure: Any, path: str | Path, layout: bool = True) -> Path:
    """``figure`` laid out (``layout``) and written to ``path`` as PNG. A level in a script the
    font lacks (東京) is drawn as boxes, without matplotlib's warning per glyph."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        if layout:
            figure.tight_layout()
        with replacing(path) as tmp:
            figure.savefig(tmp, dpi=100, format="png")
    figure.clear()
    return path


def _levels(values: pd.Series) -> pd.Series:
    out = values.astype(object).map(str)
    out[values.isna()] = MISSING
    return out


def _numbers(values: pd.Series) -> np.ndarray:
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return x[np.isfinite(x)]


def _label(text: Any, width: int = 14) -> str:
    text = str(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _histogram(ax: Any, real: pd.Series, synthetic: pd.Series) -> None:
    a, b = _numbers(real), _numbers(synthetic)
    both = np.concatenate([a, b])
    if len(both) == 0:
        ax.text(0.5, 0.5, "no values", ha="center", va="center", transform=ax.transAxes)
        return
    lo, hi = np.percentile(both, [0.5, 99.5])
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, BINS + 1)
    for x, color, name in ((a, REAL, "real"), (b, SYNTHETIC, "synthetic")):
        if len(x):  # values beyond the 0.5–99.5% range count in the edge bins
            ax.hist(
                np.clip(x, lo, hi),
                bins=edges,
                density=True,
                histtype="step",
                lw=1.4,
                color=color,
                label=name,
            )


def _named(positions: pd.Series, order: Sequence[str]) -> pd.Series:
    """An ordinal's positions (``0`` for its lowest level) as its level names."""
    index = pd.to_numeric(positions, errors="coerce").round()
    return index.map(lambda i: order[int(i)] if 0 <= i < len(order) else None)


def _bars(
    ax: Any, real: pd.Series, synthetic: pd.Series, order: Sequence[str] | None = None
) -> None:
    """Level frequencies side by side: the most frequent real levels first, or with ``order``
    (an ordinal's levels, lowest first; the series hold their positions) every level in that
    order, then the missing cells."""
    if order is not None:
        real, synthetic = _named(real, order), _named(synthetic, order)
    p = _levels(real).value_counts(normalize=True)
    q = _levels(synthetic).value_counts(normalize=True)
    table = pd.concat([p.rename("real"), q.rename("synthetic")], axis=1).fillna(0.0)
    if order is not None:
        table = table.reindex([*order, *(v for v in table.index if v not in order)], fill_value=0)
    else:
        table = table.sort_values(["real", "synthetic"], ascending=False)
    if len(table) > MAX_LEVELS:
        other = table.iloc[MAX_LEVELS - 1 :].sum().rename(f"other ({len(table) - MAX_LEVELS + 1})")
        table = pd.concat([table.iloc[: MAX_LEVELS - 1], other.to_frame().T])
    positions = np.arange(len(table))
    ax.bar(positions - 0.2, table["real"], width=0.4, color=REAL, label="real")
    ax.bar(positions + 0.2, table["synthetic"], width=0.4, color=SYNTHETIC, label="synthetic")
    ax.set_xticks(positions)
    ax.set_xticklabels([_label(v) for v in table.index], rotation=60, ha="right", fontsize=7)


def plot_marginals(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    kinds: Mapping[str, str],
    path: str | Path,
    max_columns: int = 24,
    orders: Mapping[str, Sequence[str]] | None = None,
) -> Path:
    """One panel per column (the first ``max_columns``): for a numeric column, density histograms
    of the real and synthetic values on shared bins (:data:`BINS` between the 0.5 and 99.5
    percentiles of both); for a categorical one, the level frequencies side by side (the
    :data:`MAX_LEVELS` − 1 most frequent real levels, the rest pooled as "other"). ``orders``:
    for an ordinal with text levels, its levels, lowest first (the frames hold their positions,
    as :meth:`~dmm.tabular.schema.Schema.comparable` gives them): its panel is the levels'
    frequencies in that order, named."""
    orders = orders or {}
    columns = list(real.columns)[:max_columns]
    cols = min(4, max(len(columns), 1))
    rows = max(1, -(-len(columns) // cols))
    figure = _figure(4.0 * cols, 3.2 * rows)
    for i, c in enumerate(columns):
        ax = figure.add_subplot(rows, cols, i + 1)
        if c in orders:
            _bars(ax, real[c], synthetic[c], orders[c])
        elif kinds[c] == "numeric":
            _histogram(ax, real[c], synthetic[c])
        else:
            _bars(ax, real[c], synthetic[c])
        title = _label(c, 30)
        m_real, m_synth = float(real[c].isna().mean()), float(synthetic[c].isna().mean())
        if kinds[c] == "numeric" and c not in orders and max(m_real, m_synth) > 0:
            title += f"\nmissing: real {m_real:.1%}, synthetic {m_synth:.1%}"
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=7)
        if i == 0:
            ax.legend(fontsize=7)
    shown = f"{len(columns)} of {real.shape[1]} columns" if real.shape[1] > len(columns) else ""
    figure.suptitle(f"Marginals: real vs synthetic {shown}".strip())
    return _save(figure, path)


def plot_correlation_difference(result: Mapping[str, Any], path: str | Path) -> Path:
    """Heat maps of :func:`dmm.tabular.metrics.evaluate`'s association matrices: real (held-out)
    rows, synthetic rows, and ``|synthetic - real|``, with the column names on the axes; an
    association read from too few rows is grey."""
    names = [_label(c) for c in result["pair_columns"]]
    real = np.asarray(result["pair_matrix_real"], dtype=float).reshape(len(names), len(names))
    synth = np.asarray(result["pair_matrix_synthetic"], dtype=float).reshape(real.shape)
    side = max(3.5, 0.28 * len(names) + 2.0)
    figure = _figure(3 * side, side)
    from matplotlib import colormaps  # after _figure, which says how to install it

    panels = (
        (real, "real", "coolwarm", -1.0),
        (synth, "synthetic", "coolwarm", -1.0),
        (np.abs(synth - real), "|synthetic − real|", "Reds", 0.0),
    )
    for i, (matrix, title, cmap, vmin) in enumerate(panels):
        ax = figure.add_subplot(1, 3, i + 1)
        # grey: an association from too few rows (metrics.MIN_PAIR_ROWS)
        colours = colormaps[cmap].with_extremes(bad="0.8")
        image = ax.imshow(matrix, cmap=colours, vmin=vmin, vmax=1.0)
        ax.set_title(title)
        ticks = np.arange(len(names))
        fontsize = 7 if len(names) <= 30 else 4
        ax.set_xticks(ticks)
        ax.set_xticklabels(names, rotation=90, fontsize=fontsize)
        ax.set_yticks(ticks)
        ax.set_yticklabels(names, fontsize=fontsize)
        figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    few = " (grey: read from too few rows)" if np.isnan(real).any() or np.isnan(synth).any() else ""
    figure.suptitle(f"Pairwise association (Pearson r, Cramér's V, correlation ratio η){few}")
    return _save(figure, path)


def _coordinates(
    real: pd.Series, synthetic: pd.Series, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    """Numbers to plot; a non-numeric column becomes jittered level positions (levels returned)."""
    if pd.api.types.is_numeric_dtype(real) and pd.api.types.is_numeric_dtype(synthetic):
        return (
            real.to_numpy(dtype=float, na_value=np.nan),
            synthetic.to_numpy(dtype=float, na_value=np.nan),
            None,
        )
    a, b = _levels(real), _levels(synthetic)
    order = list(pd.concat([a, b]).value_counts().index)
    index = {v: i for i, v in enumerate(order)}
    out = []
    for s in (a, b):
        x = s.map(index).to_numpy(dtype=float)
        out.append(x + rng.uniform(-0.3, 0.3, len(x)))
    return out[0], out[1], order


def plot_scatter(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    x: str,
    y: str,
    path: str | Path,
    hue: str | None = None,
) -> Path:
    """``y`` against ``x``, real rows and synthetic rows side by side on shared axes (at most
    :data:`MAX_POINTS` rows each, a seeded subsample). A categorical axis shows its levels at
    jittered integer positions; ``hue`` colours the points by a column (a categorical one by its
    10 most frequent levels, the rest grey; a numeric one on a shared colour scale)."""
    rng = np.random.default_rng(0)
    frames = [
        f.iloc[np.sort(rng.choice(len(f), MAX_POINTS, replace=False))] if len(f) > MAX_POINTS else f
        for f in (real, synthetic)
    ]
    xs = _coordinates(frames[0][x], frames[1][x], rng)
    ys = _coordinates(frames[0][y], frames[1][y], rng)
    colors, legend, scale = [None, None], [], None
    if hue is not None:
        numeric = pd.api.types.is_numeric_dtype(real[hue])
        if numeric and pd.api.types.is_numeric_dtype(synthetic[hue]):
            colors = [f[hue].to_numpy(dtype=float, na_value=np.nan) for f in frames]
            both = np.concatenate(colors)
            both = both[np.isfinite(both)]
            scale = (float(both.min()), float(both.max())) if len(both) else (0.0, 1.0)
        else:
            levels = [_levels(f[hue]) for f in frames]
            top = list(pd.concat(levels).value_counts().index[:10])
            palette = {v: f"C{i}" for i, v in enumerate(top)}
            colors = [s.map(lambda v: palette.get(v, "lightgrey")).tolist() for s in levels]
            legend = list(palette.items())
    figure = _figure(10.0, 4.6)
    axes = [figure.add_subplot(1, 2, 1)]
    axes.append(figure.add_subplot(1, 2, 2, sharex=axes[0], sharey=axes[0]))
    image = None
    for i, (ax, title) in enumerate(zip(axes, ("real", "synthetic"))):
        kwargs = {"c": colors[i]} if colors[i] is not None else {"color": (REAL, SYNTHETIC)[i]}
        if scale is not None:
            kwargs.update(cmap="viridis", vmin=scale[0], vmax=scale[1])
        image = ax.scatter(xs[i], ys[i], s=4, alpha=0.5, rasterized=True, **kwargs)
        ax.set_title(f"{title} ({len(frames[i])} rows)")
        ax.set_xlabel(_label(x, 30))
        if i == 0:
            ax.set_ylabel(_label(y, 30))
        for levels, axis in ((xs[2], ax.xaxis), (ys[2], ax.yaxis)):
            if levels is not None:
                shown = levels[:MAX_LEVELS]
                axis.set_ticks(np.arange(len(shown)))
                axis.set_ticklabels([_label(v) for v in shown], fontsize=6)
    if scale is not None:
        figure.colorbar(image, ax=axes, label=_label(hue, 30))
    elif legend:
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], ls="", marker="o", color=c, label=_label(v)) for v, c in legend]
        axes[1].legend(handles=handles, fontsize=6, title=_label(hue, 20), loc="best")
    return _save(figure, path, layout=False)
