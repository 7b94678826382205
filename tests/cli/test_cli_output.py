"""What ``dmm sample/plot/eval`` give back: .npy, .csv and .parquet samples (the training .csv's
header kept), plots of wide and image data, and progress bars only on a terminal."""

from __future__ import annotations

import csv
import io
import re
import sys

import numpy as np
import pytest
import torch
import yaml
from cli_tiny import TINY

import dmm.cli.sample
from dmm.cli.main import main
from dmm.data import DataError
from dmm.data.digits import digits_split
from dmm.data.files import load_array, read_columns

NAMES = ["alpha", "beta", "gamma, with a comma", "delta", "eps", "zeta"]
SCALES = [1.0, 5.0, 2.0, 6.0, 3.0, 4.0]  # beta, delta, zeta, eps vary most


def _train(out, process, data, *extra):
    torch.set_num_threads(1)
    argv = ["train", "--process", process, "--data", str(data), "--out", str(out), *TINY, *extra]
    assert main(argv) == 0
    return out


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory):
    """VP trained on a six-column .csv with a header row (one name holds a comma)."""
    root = tmp_path_factory.mktemp("csv")
    rows = np.random.default_rng(0).normal(size=(256, 6)) * SCALES
    with (root / "wide.csv").open("w", newline="") as f:
        csv.writer(f).writerow(NAMES)
        csv.writer(f).writerows(rows.round(5).tolist())
    return _train(root / "run", "vp", root / "wide.csv")


@pytest.fixture(scope="module")
def chain_run(tmp_path_factory):
    return _train(tmp_path_factory.mktemp("chain") / "run", "uniform", "tiny-chain")


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    return _train(tmp_path_factory.mktemp("digits") / "run", "absorbing", "digits")


def _sample(run, out, *extra):
    return main(["sample", str(run), "-n", "40", "-o", str(out), "--seed", "3", *extra])


# --- the training .csv's header --------------------------------------------------------------


def test_read_columns(tmp_path):
    (tmp_path / "h.csv").write_text('a,"b,c",\n1,2,3\n')
    (tmp_path / "n.csv").write_text("1,2\n3,4\n")
    assert read_columns(tmp_path / "h.csv") == ["a", "b,c", "x2"]
    assert read_columns(tmp_path / "n.csv") is None
    assert read_columns(tmp_path / "x.npy") is None  # not a .csv: no header to read
    (tmp_path / "bad.csv").write_text("a,b,c\n1,2\n")
    with pytest.raises(DataError, match="header row has 3 names but the first data row has 2"):
        load_array(tmp_path / "bad.csv")


def test_the_header_is_stored_in_the_run(csv_run, tiny_run):
    assert yaml.safe_load((csv_run / "config.yaml").read_text())["columns"] == NAMES
    assert "columns" not in yaml.safe_load((tiny_run / "config.yaml").read_text())


def test_a_run_with_columns_resumes_and_serves_as_a_config(csv_run, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(csv_run, copy)
    assert main(["train", "--resume", str(copy), "--steps", "25", "--quiet"]) == 0
    again = tmp_path / "again"
    assert (
        main(["train", "--config", str(csv_run / "config.yaml"), "--out", str(again), "--quiet"])
        == 0
    )
    for run in (copy, again):
        assert yaml.safe_load((run / "config.yaml").read_text())["columns"] == NAMES


# --- sample formats --------------------------------------------------------------------------


def test_csv_keeps_the_header_and_the_values_of_the_npy(csv_run, tmp_path, capsys):
    assert _sample(csv_run, tmp_path / "s.npy") == 0
    assert _sample(csv_run, tmp_path / "s.csv") == 0
    assert "to " + str(tmp_path / "s.csv") in capsys.readouterr().out
    expected = np.load(tmp_path / "s.npy")
    assert expected.dtype == np.float32 and expected.shape == (40, 6)
    assert read_columns(tmp_path / "s.csv") == NAMES
    got = load_array(tmp_path / "s.csv")
    assert got.shape == (40, 6)
    np.testing.assert_array_equal(got.astype(np.float32), expected)  # exact in float32


def test_a_chain_is_written_as_integers(chain_run, tmp_path):
    assert _sample(chain_run, tmp_path / "c.npy") == 0
    assert _sample(chain_run, tmp_path / "c.csv") == 0
    lines = (tmp_path / "c.csv").read_text().splitlines()
    assert lines[0] == "x0,x1"  # no header in a built-in data set
    assert all(re.fullmatch(r"-?\d+,-?\d+", line) for line in lines[1:]), lines[1:4]
    got = load_array(tmp_path / "c.csv")
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, np.load(tmp_path / "c.npy"))


def test_parquet_round_trip(csv_run, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    assert _sample(csv_run, tmp_path / "s.npy") == 0
    assert _sample(csv_run, tmp_path / "s.parquet") == 0
    table = pq.read_table(tmp_path / "s.parquet")
    assert table.column_names == NAMES
    got = np.column_stack([table.column(name).to_numpy() for name in NAMES])
    np.testing.assert_array_equal(got, np.load(tmp_path / "s.npy"))
    # and back in: what dmm sample writes, --data reads (it was refused for every process but
    # tabular), with its column names as a header's
    np.testing.assert_array_equal(load_array(tmp_path / "s.parquet"), got)
    assert read_columns(tmp_path / "s.parquet") == NAMES
    run = tmp_path / "again"
    argv = ["train", "--process", "vp", "--data", str(tmp_path / "s.parquet"), "--out", str(run)]
    assert main([*argv, "--steps", "5", "--quiet", "--set", "hidden=16"]) == 0
    assert _sample(run, tmp_path / "t.csv") == 0
    assert next(csv.reader(io.StringIO((tmp_path / "t.csv").read_text()))) == NAMES


def test_a_parquet_file_of_text_or_with_empty_cells(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"a": [1, 2], "b": ["x", "y"]}), tmp_path / "text.parquet")
    with pytest.raises(DataError, match="column 'b' holds string, not numbers"):
        load_array(tmp_path / "text.parquet")
    pq.write_table(pa.table({"a": [1, None], "b": [0.5, 1.5]}), tmp_path / "gap.parquet")
    with pytest.raises(DataError, match="NaN"):
        load_array(tmp_path / "gap.parquet")
    got = load_array(tmp_path / "gap.parquet", missing=True)  # --given: a cell to fill
    assert got.dtype == np.float64 and np.isnan(got[1, 0]) and got[1, 1] == 1.5
    pq.write_table(pa.table({"a": [1, 2], "b": [3, 4]}), tmp_path / "ints.parquet")
    assert load_array(tmp_path / "ints.parquet").dtype == np.int64


def test_parquet_without_pyarrow_is_one_line(tiny_run, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow raises ImportError
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    assert _sample(tiny_run, tmp_path / "s.parquet") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pip install pyarrow" in err[0] and err[0].startswith("dmm: error:")
    assert list(tmp_path.iterdir()) == []


def test_unknown_suffix_is_refused(tiny_run, tmp_path, capsys):
    assert _sample(tiny_run, tmp_path / "s.txt") == 2
    assert ".npy, .csv or .parquet" in capsys.readouterr().err


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(
    tiny_run, tmp_path, monkeypatch, capsys
):
    out = tmp_path / "s.csv"
    out.write_text("keep")

    def broken(path, array, names, integer):  # half a file, then the disk is full
        path.write_text("x0,x1\n1.0,")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(dmm.cli.sample, "_write_csv", broken)
    assert _sample(tiny_run, out, "--force") == 2
    assert capsys.readouterr().err == f"dmm: error: cannot write '{out}': No space left on device\n"
    assert out.read_text() == "keep"
    assert [p.name for p in tmp_path.iterdir()] == ["s.csv"]


# --- plots -----------------------------------------------------------------------------------


def test_layouts():
    from dmm.plotting import choose_layout, image_shape

    digits = digits_split()["x_train"][:50]
    assert choose_layout(digits) == "images" and image_shape((64,), True) == (8, 8)
    assert choose_layout(digits.reshape(50, 8, 8)) == "images"
    assert choose_layout(digits.float()) == "pairs"  # real-valued: not images
    assert choose_layout(digits[:, :63]) == "marginals"  # not square
    assert choose_layout(digits[:, :16]) == "marginals"  # 4x4 is below MIN_IMAGE_SIDE
    assert choose_layout(torch.zeros(5, 2)) == "scatter"
    assert choose_layout(torch.zeros(5, 1)) == "marginals"
    assert choose_layout(torch.zeros(5, 3, 3)) == "pairs"  # SO(3): matrix entries


def test_pair_plot_of_the_most_varying_columns_and_all_marginals():
    from dmm import plotting

    data = np.random.default_rng(1).normal(size=(300, 6)).astype(np.float32) * SCALES
    assert plotting.most_varying(data, 4).tolist() == [1, 3, 4, 5]
    fig = plotting.draw_samples(data, data, "t", names=NAMES)
    pairs, marginals = fig.subfigs
    assert {a.get_xlabel() for a in pairs.axes} - {""} == {"beta", "delta", "eps", "zeta"}
    assert [a.get_title() for a in marginals.axes] == NAMES
    plotting.plt.close(fig)


def test_a_scatter_names_its_axes():
    """A 2-D run's samples.png had no axis labels or ticks; the docs say the .csv header names
    ``dmm plot``'s axes."""
    from dmm import plotting

    data = np.random.default_rng(3).normal(size=(100, 2)).astype(np.float32)
    fig = plotting.draw_samples(data, data, "t", names=["a", "b"])
    assert [(ax.get_xlabel(), ax.get_ylabel()) for ax in fig.axes] == [("a", "b")] * 2
    assert all(len(ax.get_xticks()) > 0 for ax in fig.axes)
    plotting.plt.close(fig)


def test_a_very_wide_grid_is_capped_and_says_so(monkeypatch):
    from dmm import plotting

    monkeypatch.setattr(plotting, "MAX_MARGINALS", 5)
    data = np.random.default_rng(2).normal(size=(100, 7)).astype(np.float32) * np.arange(1, 8)
    fig = plotting.draw_samples(data, data, "wide")
    assert [a.get_title() for a in fig.subfigs[1].axes] == [f"x{i}" for i in range(2, 7)]
    assert "capped at 5 of 7" in fig.get_suptitle()
    plotting.plt.close(fig)


def _plot(run):
    return main(["plot", str(run), "-n", "32", "--steps", "4", "--frames", "2"])


def test_plot_of_a_six_column_run(csv_run, capsys):
    (csv_run / "samples.png").unlink(missing_ok=True)
    assert _plot(csv_run) == 0
    assert (csv_run / "samples.png").stat().st_size > 0 and (csv_run / "backward.gif").is_file()


def test_plot_of_digits_draws_images(digits_run, monkeypatch, capsys):
    from dmm import plotting

    drawn = []
    images = plotting._draw_images
    monkeypatch.setattr(plotting, "_draw_images", lambda *a: drawn.append(a[2]) or images(*a))
    assert _plot(digits_run) == 0
    assert drawn == [(8, 8)]
    assert (digits_run / "samples.png").is_file() and (digits_run / "backward.gif").is_file()


# --- progress bars ---------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    "command, phases",
    [
        (["sample", "-n", "16", "-o", "{tmp}/s.npy"], ["sampling"]),
        (["eval", "--data", "moons", "-n", "16"], ["sampling", "numerical term, 10 steps"]),
    ],
)
def test_a_bar_on_a_terminal_and_none_with_quiet(tiny_run, tmp_path, monkeypatch, command, phases):
    pytest.importorskip("tqdm")
    argv = [command[0], str(tiny_run), *(a.format(tmp=tmp_path) for a in command[1:])]
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(argv) == 0
    shown = terminal.getvalue()
    assert all(f"{phase}:" in shown for phase in phases) and "0/10 [" in shown, shown
    quiet = _Terminal()
    monkeypatch.setattr(sys, "stderr", quiet)
    assert (
        main([*argv, "--force", "--quiet"] if command[0] == "sample" else [*argv, "--quiet"]) == 0
    )
    assert quiet.getvalue() == ""


def test_no_bar_when_stderr_is_not_a_terminal(tiny_run, tmp_path, capsys):
    assert _sample(tiny_run, tmp_path / "s.npy") == 0
    assert capsys.readouterr().err == ""


def test_tail_plot_draws_one_survival_curve_per_sample_set(tmp_path):
    from dmm import plotting

    g = torch.Generator().manual_seed(0)
    ref, other = torch.randn(500, 2, generator=g), torch.randn(300, 2, generator=g) * 3
    other[0] = float("nan")  # dropped, not plotted
    captured = {}
    real_savefig = plotting.plt.Figure.savefig

    def keep(fig, *args, **kwargs):
        captured["lines"] = [line.get_xydata() for line in fig.axes[0].get_lines()]
        return real_savefig(fig, *args, **kwargs)

    plotting.plt.Figure.savefig = keep
    try:
        path = plotting.plot_tails(ref, {"model": other}, tmp_path / "tails.png", "t")
    finally:
        plotting.plt.Figure.savefig = real_savefig
    assert path.exists() and path.stat().st_size > 0
    data_line, model_line = captured["lines"]
    assert len(data_line) == 500 and len(model_line) == 299
    # survival: 1/n at the largest radius, 1 at the smallest; radii decrease along the curve
    assert data_line[0, 1] == 1 / 500 and data_line[-1, 1] == 1.0
    assert (data_line[1:, 0] <= data_line[:-1, 0]).all()


def test_version_and_python_dash_m(capsys):
    """``dmm --version`` was a usage error and ``python -m dmm`` had no ``__main__``."""
    import subprocess
    import sys

    import dmm

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"dmm {dmm.__version__}"
    ran = subprocess.run(
        [sys.executable, "-m", "dmm", "--version"], capture_output=True, text=True, timeout=120
    )
    assert ran.returncode == 0 and ran.stdout.strip() == f"dmm {dmm.__version__}", ran.stderr


def test_a_parquet_column_of_unsigned_integers_beyond_int64_is_refused(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    big = pa.array([1, 2**63 + 5], type=pa.uint64())
    pq.write_table(pa.table({"a": big}), tmp_path / "big.parquet")
    with pytest.raises(DataError, match="beyond 2\\^63"):  # it wrapped to a negative code
        load_array(tmp_path / "big.parquet")
