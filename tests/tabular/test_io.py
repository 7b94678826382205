"""Reading and writing tables: one-line errors for bad files, atomic writes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from dmm.data.errors import DataError
from dmm.tabular.io import frame_dtypes, read_table, with_dtypes, write_table


def test_csv_round_trip_with_text_and_empty_cells(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("name,size,kind\nA,1.5,x\nB,,y\n,2.0,\n")
    frame = read_table(path)
    assert list(frame.columns) == ["name", "size", "kind"] and len(frame) == 3
    assert frame["size"].isna().sum() == 1 and frame["name"].isna().sum() == 1
    out = tmp_path / "out.csv"
    write_table(frame, out)
    assert out.read_text().splitlines()[0] == "name,size,kind"
    assert not (tmp_path / "out.csv.tmp").exists()
    pd.testing.assert_frame_equal(read_table(out), frame)


@pytest.mark.parametrize(
    "text, needle",
    [
        ("a,b\n1,2\n3,4,5\n", "line 3 has 3 cells, the header 2"),
        ("a,b\n1\n", "line 2 has 1 cells"),
        ("", "is empty"),
        ("a;b\n1,5;2\n", "separates its cells with ';', not commas"),
        ("a\tb\n1\t2\n", "separates its cells with tabs"),
        ("a,b\n", "no data rows"),
        ("a,a\n1,2\n", "repeated"),
        ("a,\n1,2\n", "some are empty"),
    ],
)
def test_bad_csv_files_are_one_line_errors(tmp_path, text, needle):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=needle) as info:
        read_table(path)
    assert "\n" not in str(info.value)


def test_missing_and_unsupported_files(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_table(tmp_path / "absent.csv")
    with pytest.raises(DataError, match="unsupported table file"):
        read_table(tmp_path / "t.xlsx")


def test_missing_value_markers_in_a_column_of_numbers_read_as_empty(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,c,d\n1.5,x,?,-\n2.5,y,3,-\n?,x,4,-\n3.5,?,5,1\n4.5,z, unknown ,2\n")
    frame = read_table(path)
    assert frame["a"].isna().tolist() == [False, False, True, False, False]
    assert frame["c"].tolist()[1:4] == [3.0, 4.0, 5.0] and frame["c"].isna().sum() == 2
    assert frame["d"].tolist()[3:] == [1.0, 2.0] and frame["d"].isna().sum() == 3
    assert (frame["b"] == "?").sum() == 1  # a text column keeps '?' as a value
    assert frame.attrs["notes"] == [
        "column 'a': 1 cell '?' read as empty (its other cells are numbers)",
        "column 'c': 2 cells '?', 'unknown' read as empty (its other cells are numbers)",
        "column 'd': 3 cells '-' read as empty (its other cells are numbers)",
    ]
    # a column of markers only is not a column of numbers
    path.write_text("e\n?\n-\n")
    assert read_table(path)["e"].tolist() == ["?", "-"]


def test_missing_value_markers_among_numbers_with_a_unit_read_as_empty(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("discount,code\n12%,a\n?,b\n3%,?\n")
    frame = read_table(path)
    assert frame["discount"].tolist()[::2] == ["12%", "3%"] and frame["discount"].isna()[1]
    assert frame["code"].tolist() == ["a", "b", "?"]
    assert frame.attrs["notes"] == [
        "column 'discount': 1 cell '?' read as empty (its other cells are numbers)"
    ]


def test_dtypes_survive_config_yaml_and_come_back_where_the_values_allow():
    frame = pd.DataFrame(
        {
            "flag": pd.array([True, None, False], dtype="boolean"),
            "sure": np.array([True, False, True]),
            "grade": pd.Categorical(["lo", "hi", None], categories=["lo", "hi"], ordered=True),
            "count": pd.array([1, None, 3], dtype="Int64"),
            "whole": np.array([1, 2, 3], dtype="int16"),
            "score": np.array([0.5, 1.25, -2.0], dtype="float32"),
            "name": ["a", "b", "c"],
        }
    )
    dtypes = yaml.safe_load(yaml.safe_dump(frame_dtypes(frame)))  # as a run's config.yaml
    assert dtypes["name"] == str(frame["name"].dtype)
    assert "name" not in frame_dtypes(frame.astype({"name": object}))  # decoded tables are
    assert dtypes["grade"] == {"categories": ["lo", "hi"], "ordered": True}
    decoded = pd.DataFrame(  # as TableCodec.decode gives them: levels as text, nullable integers
        {
            "flag": pd.Series(["True", None, "False"], dtype=object),
            "sure": pd.Series(["True", "False", "True"], dtype=object),
            "grade": pd.Series(["lo", "hi", None], dtype=object),
            "count": pd.array([1, None, 3], dtype="Int64"),
            "whole": pd.array([1, 2, 3], dtype="Int64"),
            "score": np.array([0.5, 1.25, -2.0]),
            "name": pd.Series(["a", "b", "c"], dtype=object),
        }
    )
    pd.testing.assert_frame_equal(with_dtypes(decoded, dtypes), frame)


def test_numeric_categories_come_back_from_their_text():
    # a decoded table writes a level 5 as '5': the run's dtype maps it back to the number
    frame = pd.DataFrame({"grade": pd.Categorical([1, 5, None, 2], [1, 2, 5], ordered=True),
                          "half": pd.Categorical([0.5, 2.5, 0.5, None], [0.5, 2.5])})  # fmt: skip
    dtypes = yaml.safe_load(yaml.safe_dump(frame_dtypes(frame)))
    decoded = pd.DataFrame({"grade": pd.Series(["1", "5", None, "2"], dtype=object),
                            "half": pd.Series(["0.5", "2.5", "0.5", None], dtype=object)})  # fmt: skip
    pd.testing.assert_frame_equal(with_dtypes(decoded, dtypes), frame)
    outside = pd.DataFrame({"grade": pd.Series(["1", "3"], dtype=object)})  # 3: no category
    assert with_dtypes(outside, dtypes)["grade"].dtype == object


def test_integer_levels_written_as_text_come_back_as_integers():
    # an ordinal declared on an int64 column ('size: [1, 2, 5]', 'size: ordinal 1, 2, 5'): its
    # levels decode as text, and the fitted frame's dtype takes them back; text that is not how
    # the number is written ('05') stays text
    back = with_dtypes(pd.DataFrame({"size": pd.Series(["1", "5", "2"], dtype=object)}),
                       {"size": "int64"})  # fmt: skip
    assert back["size"].dtype == "int64" and back["size"].tolist() == [1, 5, 2]
    padded = pd.DataFrame({"size": pd.Series(["1", "05"], dtype=object)})
    pd.testing.assert_frame_equal(with_dtypes(padded, {"size": "int64"}), padded)
    empty = pd.DataFrame({"size": pd.Series(["1", None], dtype=object)})
    assert with_dtypes(empty, {"size": "Int64"})["size"].tolist() == [1, pd.NA]


@pytest.mark.parametrize(
    "column, values",
    [
        ("sure", ["True", None]),  # a numpy bool has no empty cell
        ("grade", ["lo", "mid"]),  # a level outside the categories
        ("whole", [1.5, 2.0]),  # not whole numbers
        ("flag", ["True", "maybe"]),  # not a truth value
    ],
)
def test_dtypes_are_not_forced_on_values_they_would_change(column, values):
    dtypes = {
        "sure": "bool",
        "grade": {"categories": ["lo", "hi"], "ordered": False},
        "whole": "int64",
        "flag": "boolean",
    }
    decoded = pd.DataFrame({column: pd.Series(values, dtype=object)})
    pd.testing.assert_frame_equal(with_dtypes(decoded, dtypes), decoded)


def test_text_cells_lose_the_spaces_around_them(tmp_path):
    """pandas' skipinitialspace dropped leading spaces only: ' Kraków ' became 'Kraków ', a level
    beside 'Kraków' that samples then wrote."""
    path = tmp_path / "t.csv"
    path.write_text('city,x\n Kraków ,1\nKraków,2\n" New York, NY ",3\n   ,4\n', encoding="utf-8")
    frame = read_table(path)
    assert frame["city"].tolist()[:3] == ["Kraków", "Kraków", "New York, NY"]
    assert pd.isna(frame["city"].iloc[3])


def test_a_runs_schema_yaml_keeps_its_text_readable(tmp_path):
    """schema.yaml held "Krak\\xF3w" and "\\u6771\\u4EAC": users are told to edit that file."""
    from dmm.cli.rundir import write_yaml

    path = tmp_path / "schema.yaml"
    write_yaml({"levels": ["Kraków", "東京", "18–24"]}, path)
    text = path.read_text(encoding="utf-8")
    assert "Kraków" in text and "東京" in text and "\\x" not in text and "\\u" not in text
    assert yaml.safe_load(text) == {"levels": ["Kraków", "東京", "18–24"]}


def test_integers_beyond_float64_with_empty_cells_are_read_exactly(tmp_path):
    """pandas reads a column with empty cells as float64: account numbers 2^60 + 7k merged
    into one level, and a --given file's cells were values the run had never seen."""
    from dmm.tabular.schema import infer_column

    path = tmp_path / "acct.csv"
    codes = [2**60, 2**60 + 7, 2**60 + 14]
    path.write_text(
        "acct,y\n" + "".join(f"{codes[k % 3] if k % 4 else ''},{k}\n" for k in range(40))
    )
    frame = read_table(path)
    assert str(frame["acct"].dtype) == "Int64" and set(frame["acct"].dropna()) == set(codes)
    column = infer_column("acct", frame["acct"])
    assert column.type == "categorical" and len(column.levels) == 3
    beyond = tmp_path / "beyond.csv"  # beyond int64 too: kept as the text it is
    beyond.write_text("acct\n" + "".join(f"{2**70 + k}\n" if k % 3 else "\n" for k in range(12)))
    assert {int(v) for v in read_table(beyond)["acct"].dropna()} == {
        2**70 + k for k in range(12) if k % 3
    }


def test_decimal_codes_beyond_float64_stay_exact():
    from decimal import Decimal

    from dmm.tabular.schema import infer_column

    cells = pd.Series([Decimal(2**60 + 1), Decimal(2**60 + 3), Decimal(5)] * 4, dtype=object)
    assert len(set(infer_column("acct", cells).levels)) == 3
