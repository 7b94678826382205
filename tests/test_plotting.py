"""dmm.plotting.gallery: panel titles are wrapped to the gallery's width."""

from __future__ import annotations

from PIL import Image

from dmm.plotting import _wrapped, gallery


def test_wrapping_breaks_at_spaces_and_keeps_line_breaks():
    fits = lambda text: len(text) <= 10  # noqa: E731
    assert _wrapped("aaa bbb ccc ddd\nshort", fits) == ["aaa bbb", "ccc ddd", "short"]
    assert _wrapped("averyveryverylongword x", fits) == ["averyveryverylongword", "x"]
    assert _wrapped("", fits) == [""]


def test_a_long_title_takes_more_lines_instead_of_leaving_the_picture(tmp_path):
    png = tmp_path / "panel.png"
    Image.new("RGB", (200, 100), "white").save(png)
    short = gallery([("title\nshort summary", png)], tmp_path / "a.png", width=400)
    long = gallery([("title\n" + "word " * 60, png)], tmp_path / "b.png", width=400)
    with Image.open(short) as a, Image.open(long) as b:
        assert a.width == b.width == 400
        assert b.height >= a.height + 30 * 3  # 300 characters need several 400-pixel lines


def test_coordinates_of_very_different_ranges_get_their_own_scales():
    """A price in thousands against a return in hundredths was drawn at equal scales: a flat
    line with overlapping tick labels."""
    import numpy as np

    from dmm.plotting import draw_samples

    rng = np.random.default_rng(0)
    far = rng.normal(size=(500, 2)) * [1000.0, 0.01]
    near = rng.normal(size=(500, 2)) * [1.0, 2.0]
    for data, aspect in ((far, "auto"), (near, 1.0)):
        fig = draw_samples(data, data)  # two coordinates: the scatter layout
        assert [ax.get_aspect() for ax in fig.axes] == [aspect, aspect]


def test_a_pair_plot_shows_the_datas_units_on_its_outer_edges():
    """The pair plot of three or more coordinates had no tick labels at all."""
    import numpy as np

    from dmm.plotting import draw_samples

    x = np.exp(np.random.default_rng(0).normal(size=(300, 3))) * [100.0, 5.0, 0.02]
    fig = draw_samples(x, x)
    axes = np.array(fig.axes).reshape(3, 3)
    assert all(len(ax.get_xticks()) > 0 for ax in axes[-1])  # bottom row: x in data units
    assert all(len(ax.get_yticks()) > 0 for ax in axes[1:, 0])  # left column, below the diagonal
    assert len(axes[0, 0].get_yticks()) == 0 and len(axes[0, 1].get_xticks()) == 0


def test_a_loss_curve_of_one_logged_row_is_drawn(tmp_path, monkeypatch):
    """A 100-step run logs one training row: plotted as a line of one point it was invisible."""
    import matplotlib.axes

    from dmm.plotting import plot_loss

    styles = []
    real = matplotlib.axes.Axes.plot

    def spy(self, *args, **kwargs):
        styles.append((args, kwargs.get("label")))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "plot", spy)
    plot_loss([{"step": 100, "loss": 3.9, "val_loss": 4.1}], tmp_path / "loss.png")
    (train,) = [args for args, label in styles if label == "train loss"]
    assert "o" in train[-1]  # a marker: one point is visible
    assert (tmp_path / "loss.png").stat().st_size > 0


def test_data_of_tiny_scale_fill_the_axes_and_a_constant_column_gets_a_window():
    """The span had an absolute floor of 1e-6: data of scale 1e-9 were drawn as a dot in the
    middle of an axis 30 times wider than they are."""
    import numpy as np

    from dmm.plotting import _limits

    rng = np.random.default_rng(0)
    tiny = rng.normal(size=(2000, 1)) * 1e-9
    ((lo, hi),) = _limits(tiny)
    data_lo, data_hi = np.percentile(tiny, [0.5, 99.5])
    assert (hi - lo) < 1.5 * (data_hi - data_lo)
    for value in (0.0, 3.0, 1e12):  # both arrays exactly constant
        ((lo, hi),) = _limits(np.full((10, 1), value), np.full((10, 1), value))
        assert lo < value < hi and np.isfinite([lo, hi]).all()
    ((lo, hi),) = _limits(np.full((10, 1), 1e12) + np.arange(10)[:, None] * 1e-4)
    assert lo < hi
