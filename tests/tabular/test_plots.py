"""Tabular figures: valid PNG files for mixed, missing and very wide categorical columns."""

import sys

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from dmm.tabular.plots import plot_correlation_difference, plot_marginals, plot_scatter


def table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "x": x,
            "y": x + rng.normal(size=n),
            "c": rng.choice(["a", "b", "c"], size=n),
            "wide": [f"level-{i}" for i in rng.integers(0, 1000, size=n)],  # ~1000 levels
        }
    )
    frame.loc[rng.random(n) < 0.1, "x"] = np.nan
    frame.loc[rng.random(n) < 0.1, "c"] = None
    return frame


KINDS = {"x": "numeric", "y": "numeric", "c": "categorical", "wide": "categorical"}


def assert_png(path, min_side: int = 100) -> None:
    assert path.is_file()
    with Image.open(path) as image:
        assert image.format == "PNG" and min(image.size) >= min_side
        image.verify()


def test_marginals_are_a_png_even_with_a_column_of_a_thousand_levels(tmp_path):
    real, synthetic = table(3000, 0), table(2000, 1)
    assert real["wide"].nunique() > 900
    path = plot_marginals(real, synthetic, KINDS, str(tmp_path / "sub" / "marginals.png"))
    assert path == tmp_path / "sub" / "marginals.png"
    assert_png(path)
    # max_columns: only the first column drawn
    assert_png(plot_marginals(real, synthetic, KINDS, tmp_path / "one.png", max_columns=1))


def test_correlation_difference_draws_the_matrices_of_a_result(tmp_path):
    names = ["x", "y", "c"]
    real = np.array([[1.0, 0.7, 0.2], [0.7, 1.0, 0.1], [0.2, 0.1, 1.0]])
    result = {
        "pair_columns": names,
        "pair_matrix_real": real.tolist(),
        "pair_matrix_synthetic": (real * 0.5 + 0.5 * np.eye(3)).tolist(),
    }
    assert_png(plot_correlation_difference(result, tmp_path / "pairs.png"))


def test_correlation_difference_from_evaluate(tmp_path):
    from dmm.tabular.metrics import evaluate

    kinds = {"x": "numeric", "y": "numeric", "c": "categorical"}
    frames = [table(100, s)[["x", "y", "c"]] for s in range(3)]
    result = evaluate(*frames, kinds)
    assert_png(plot_correlation_difference(result, tmp_path / "pairs.png"))


@pytest.mark.parametrize(
    "x, y, hue", [("x", "y", None), ("x", "y", "c"), ("c", "y", "x"), ("wide", "x", "wide")]
)
def test_scatter_of_numeric_and_categorical_axes(tmp_path, x, y, hue):
    path = plot_scatter(table(800, 0), table(800, 1), x, y, tmp_path / "scatter.png", hue=hue)
    assert_png(path)


def test_without_matplotlib_the_error_names_the_extra(tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m.split(".")[0] == "matplotlib"] + ["matplotlib"]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r"denoising-markov-models\[plot\]"):
        plot_marginals(table(50, 0), table(50, 1), KINDS, tmp_path / "m.png")


def test_an_ordinal_panel_is_its_levels_in_order(tmp_path):
    # positions 0..2 of low < mid < high: bars named by level, lowest first (not by frequency),
    # missing cells after them; a position outside the levels counts as missing
    from dmm.tabular.plots import _bars, _figure

    order = ("low", "mid", "high")
    real = pd.Series([2.0, 2.0, 2.0, 1.0, 0.0, np.nan])
    synthetic = pd.Series([0.0, 1.0, 1.0, 2.0, 7.0])
    ax = _figure(4, 3).add_subplot(1, 1, 1)
    _bars(ax, real, synthetic, order)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["low", "mid", "high", "<missing>"]
    heights = [b.get_height() for b in ax.patches]  # real bars, then synthetic ones
    np.testing.assert_allclose(heights, [1 / 6, 1 / 6, 3 / 6, 1 / 6, 0.2, 0.4, 0.2, 0.2])
    frame = pd.DataFrame({"grade": real, "x": np.arange(6.0)})
    kinds = {"grade": "numeric", "x": "numeric"}
    assert_png(plot_marginals(frame, frame, kinds, tmp_path / "m.png", orders={"grade": order}))


def test_levels_in_a_script_the_font_lacks_draw_without_a_warning_per_glyph(tmp_path):
    """dmm plot printed matplotlib's 'Glyph 26481 missing from font(s)' with source paths."""
    import warnings

    from dmm.tabular.plots import plot_marginals

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"city": rng.choice(["東京", "Paris"], 50), "x": rng.normal(size=50)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plot_marginals(frame, frame, {"city": "categorical", "x": "numeric"}, tmp_path / "m.png")
