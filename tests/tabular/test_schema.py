"""Column types: inference, declared types checked against the data, schema files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dmm.data.errors import DataError
from dmm.tabular.schema import Schema, infer_schema, read_schema_file, resolve_schema


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 60
    return pd.DataFrame(
        {
            "colour": rng.choice(["red", "green", "blue"], n),
            "flag": rng.random(n) < 0.5,
            "binary": rng.integers(0, 2, n),
            "stars": rng.integers(1, 6, n),
            "count": rng.integers(0, 1000, n),
            "price": np.exp(rng.normal(size=n)).round(2),
            "change": rng.normal(size=n),
            "rain": np.where(rng.random(n) < 0.6, 0.0, rng.exponential(size=n)),
            "unit": ["kg"] * n,
        }
    )


def test_inferred_types():
    schema = infer_schema(_frame())
    assert {c.name: c.type for c in schema.columns} == {
        "colour": "categorical",
        "flag": "categorical",
        "binary": "categorical",  # numbers with two values
        "stars": "ordinal",
        "count": "integer",
        "price": "positive",
        "change": "real",
        "rain": "real",  # many exact zeros: not strictly positive
        "unit": "constant",
    }
    assert schema["colour"].levels == ("blue", "green", "red")
    assert schema["binary"].levels == ("0", "1") and schema["binary"].numeric_levels
    assert schema["flag"].levels == ("False", "True") and not schema["flag"].numeric_levels
    assert (schema["stars"].low, schema["stars"].high) == (1, 5)
    assert schema["price"].decimals == 2


def test_missing_cells_are_recorded_and_an_empty_column_is_an_error():
    frame = _frame()
    frame.loc[[3, 7], "price"] = np.nan
    frame.loc[5, "colour"] = None
    schema = infer_schema(frame)
    assert schema["price"].missing and schema["colour"].missing and not schema["change"].missing
    frame["nothing"] = np.nan
    with pytest.raises(DataError, match="'nothing' has no values"):
        infer_schema(frame)


def test_declared_types_override_and_are_checked_against_the_data():
    frame = _frame()
    schema = infer_schema(frame, {"stars": "categorical", "price": "real"})
    assert schema["stars"].type == "categorical" and schema["stars"].levels[0] == "1"
    assert schema["price"].type == "real"
    with pytest.raises(DataError, match=r"'change' is declared positive .*rows \d"):
        infer_schema(frame, {"change": "positive"})
    with pytest.raises(DataError, match="'change' is declared integer but has non-integer"):
        infer_schema(frame, {"change": "integer"})
    with pytest.raises(DataError, match="'colour' is declared real but has text values"):
        infer_schema(frame, {"colour": "real"})
    with pytest.raises(DataError, match="unknown type 'text'"):
        infer_schema(frame, {"colour": "text"})
    with pytest.raises(DataError, match=r"names column\(s\) \['weight'\]"):
        infer_schema(frame, {"weight": "real"})
    with pytest.raises(DataError, match="declared constant but has 3 values"):
        infer_schema(frame, {"colour": "constant"})


def test_rows_are_named_as_a_user_counts_them():
    frame = pd.DataFrame({"x": [1.0, 2.0, -3.0, 4.0]})
    with pytest.raises(DataError, match=r"values <= 0 \(rows 3\)"):
        infer_schema(frame, {"x": "positive"})


def test_schema_round_trip_and_files(tmp_path):
    schema = infer_schema(_frame())
    assert Schema.from_config(schema.to_config()) == schema
    full = tmp_path / "full.yaml"
    import yaml

    full.write_text(yaml.safe_dump(schema.to_config()))
    assert read_schema_file(full) == schema
    assert resolve_schema(_frame(), read_schema_file(full)) == schema
    short = tmp_path / "short.yaml"
    short.write_text("stars: categorical\n")
    assert read_schema_file(short) == {"stars": "categorical"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("stars: text\n")
    with pytest.raises(DataError, match="unknown type 'text'"):
        read_schema_file(bad)
    bad.write_text("[1, 2\n")
    with pytest.raises(DataError, match="not valid YAML"):
        read_schema_file(bad)
    with pytest.raises(DataError, match="cannot read schema file"):
        read_schema_file(tmp_path / "absent.yaml")


def test_describe_names_every_column():
    text = infer_schema(_frame()).describe()
    assert len(text.splitlines()) == 9 and "3 levels: blue, green, red" in text
