"""``TabularModel``: where its runs go, and what it refuses in one clear message."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import dmm.training
from dmm.tabular import TabularModel

TINY = {"steps": 5, "hidden": 16, "depth": 1, "sample_steps": 4, "batch_size": 32}


def _frame(n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.normal(size=n), "b": rng.choice(["p", "q"], n)})


def test_fit_refuses_a_run_dir_that_holds_another_run(tmp_path, monkeypatch):
    """A second model fitted into the same ``run_dir`` overwrote the first's run, and the first
    model's ``save`` then saved the second. A model may refit into its own folder."""
    torch.set_num_threads(1)
    first = TabularModel(**TINY, run_dir=tmp_path / "shared").fit(_frame())
    with pytest.raises(FileExistsError, match="exists and is not empty"):
        TabularModel(**TINY, run_dir=tmp_path / "shared").fit(_frame(seed=1))
    first.fit(_frame(seed=2))  # its own folder
    broken = TabularModel(**TINY, run_dir=tmp_path / "broken")
    with pytest.raises(ValueError):
        broken.fit(_frame().assign(bad=[{"k": 1}] * 60))  # refused before anything is written

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(dmm.training, "train", interrupted)
        with pytest.raises(KeyboardInterrupt):
            broken.fit(_frame())  # config.yaml and data.npy written, then stopped
    assert any((tmp_path / "broken").iterdir())
    broken.fit(_frame())  # the same model may fit there again (it was refused)
    saved = TabularModel.load(first.save(tmp_path / "saved"))
    assert list(saved.sample(2).columns) == ["a", "b"]


@pytest.mark.parametrize(
    "column, needle",
    [
        (np.arange(60) + 1j, "holds complex numbers"),  # the imaginary part was dropped
        (pd.to_timedelta(np.arange(60), unit="m"), "holds durations"),  # 'levels: 120000000 ...'
        ([{"k": 1}] * 60, "holds dict values"),  # TypeError: unhashable type: 'dict'
    ],
)
def test_cells_that_are_not_numbers_text_booleans_or_dates_are_refused(column, needle):
    frame = _frame().assign(odd=column)
    with pytest.raises(ValueError, match=needle):
        TabularModel(**TINY).fit(frame)


def test_a_table_without_rows_is_refused_as_such():
    with pytest.raises(ValueError, match="the table has no rows"):  # was: 'drop' column 'a'
        TabularModel(**TINY).fit(_frame().iloc[:0])


def test_column_labels_come_back_as_given(tmp_path):
    """Tuples, floats and booleans came back as their text (``"('g', 'x')"``), a MultiIndex as
    a flat Index of text."""
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({("g", "x"): rng.normal(size=60), 1.5: rng.normal(size=60)})
    frame[True] = rng.choice(["a", "b"], 60)
    model = TabularModel(**TINY).fit(frame)
    assert list(model.sample(2).columns) == [("g", "x"), 1.5, True]
    loaded = TabularModel.load(model.save(tmp_path / "saved"))
    assert list(loaded.sample(2).columns) == [("g", "x"), 1.5, True]
    columns = pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")])
    wide = pd.DataFrame(rng.normal(size=(60, 2)), columns=columns)
    model = TabularModel(**TINY).fit(wide)
    assert model.sample(2).columns.equals(columns)
    holed = wide.copy()
    holed.iloc[0, 0] = np.nan
    assert model.impute(holed).columns.equals(columns)


def test_periods_come_back_as_periods():
    """A ``period[M]`` column came back from ``sample`` (and from ``impute`` where a cell was
    empty) as text."""
    torch.set_num_threads(1)
    frame = _frame().assign(month=pd.period_range("2020-01", periods=60, freq="M"))
    model = TabularModel(**TINY).fit(frame)
    assert model.sample(3)["month"].dtype == frame["month"].dtype
    holed = frame.copy()
    holed.loc[[1, 3], "month"] = pd.NaT
    filled = model.impute(holed)
    assert filled["month"].dtype == frame["month"].dtype and filled["month"].notna().all()
    assert (filled["month"][[0, 2]] == frame["month"][[0, 2]]).all()


def test_impute_refuses_what_fit_refuses():
    """A duration in a numeric column was read as nanoseconds (and a filled cell went to the
    range's end); a complex number lost its imaginary part with a numpy warning."""
    torch.set_num_threads(1)
    model = TabularModel(**TINY).fit(_frame())
    partial = _frame(5, seed=1)
    partial.loc[0, "b"] = None
    for column, needle in (
        (pd.to_timedelta(np.arange(5), unit="D"), "holds durations"),
        (np.arange(5) + 1j, "holds complex numbers"),
    ):
        with pytest.raises(ValueError, match=needle):
            model.impute(partial.assign(a=column))


def test_integers_beyond_float64_come_back_exactly():
    """Account numbers 2^60 + 7k were read through float64, which merged the 50 values into 2
    levels: samples held numbers not in the data and impute changed 49 of 50 given cells."""
    from dmm.tabular import TabularModel

    g = np.random.default_rng(3)
    codes = np.int64(2**60) + np.array([0, 7, 14] * 20, dtype=np.int64)
    frame = pd.DataFrame({"acct": codes, "y": g.normal(size=60).round(2)})
    model = TabularModel(steps=20, hidden=16, depth=1, sample_steps=5, batch_size=32).fit(frame)
    column = model.schema_.columns[0]
    assert column.type == "categorical" and len(set(column.levels)) == 3
    part = frame.copy()
    part.loc[:9, "y"] = np.nan
    filled = model.impute(part)
    assert filled["acct"].dtype == np.int64 and (filled["acct"] == frame["acct"]).all()
    sampled = model.sample(30, seed=1)["acct"]
    assert sampled.dtype == np.int64 and sampled.isin(frame["acct"]).all()
    with pytest.raises(ValueError, match="beyond 2\\^53"):
        TabularModel(steps=2, schema={"acct": "integer"}).fit(frame)


def test_impute_fills_a_mostly_empty_column_and_says_how(capsys, monkeypatch):
    """With 58 of 60 cells empty, the model kept drawing the empty level: 33 of the 58 cells to
    fill came back empty, silently. (No redraws here, so that the fallback is what fills.)"""
    import dmm.cli.tables
    from dmm.tabular import TabularModel

    monkeypatch.setattr(dmm.cli.tables, "REDRAWS", 0)

    g = np.random.default_rng(2)
    frame = pd.DataFrame({"sp": [np.nan] * 58 + [4.2, 5.0], "x": g.normal(size=60).round(2)})
    model = TabularModel(steps=20, hidden=16, depth=1, sample_steps=5, batch_size=32).fit(frame)
    filled = model.impute(frame)
    assert not filled["sp"].isna().any()
    assert set(filled["sp"]) <= {4.2, 5.0}
    err = capsys.readouterr().err  # the fallback filled some (seeded), named with its column
    assert "kept drawing empty" in err and "in 'sp' (4.2)" in err, err


def test_object_columns_of_numbers_and_booleans_keep_their_values():
    """Python ints in an object column were text: all-different ones became identifiers
    ('974', '975', ...), Decimals levels of text; booleans among None came back 'True'."""
    from decimal import Decimal

    from dmm.tabular import TabularModel

    g = np.random.default_rng(0)
    n = 40
    frame = pd.DataFrame(
        {
            "count": pd.Series([int(v) for v in g.permutation(1000)[:n]], dtype=object),
            "price": pd.Series([Decimal(f"{v:.2f}") for v in g.uniform(1, 9, n)], dtype=object),
            "flag": pd.Series([True, False, None, True] * (n // 4), dtype=object),
            "mixed": pd.Series([1, "two", 3.5, "two"] * (n // 4), dtype=object),
        }
    )
    model = TabularModel(steps=20, hidden=16, depth=1, sample_steps=5, batch_size=32).fit(frame)
    types = {c.name: c.type for c in model.schema_.columns}
    assert types["count"] == "integer" and types["price"] in ("real", "positive")
    out = model.sample(40, seed=0)
    assert all(isinstance(v, (int, np.integer)) for v in out["count"].dropna())
    assert all(isinstance(v, (bool, np.bool_)) for v in out["flag"].dropna())
    assert set(out["mixed"].dropna()) <= {1, "two", 3.5} and out["mixed"].dtype == object
