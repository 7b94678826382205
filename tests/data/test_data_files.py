"""User data files and the name-or-path resolver: every user mistake is a one-line DataError."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from dmm.data import (
    BUILTIN_DATASETS,
    DataError,
    check_shape,
    load_array,
    load_data,
    register_dataset,
)
from dmm.data.files import read_columns


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _message(excinfo: pytest.ExceptionInfo[DataError]) -> str:
    message = str(excinfo.value)
    assert "\n" not in message, "DataError messages must be one line"
    return message


# --- reading valid files -------------------------------------------------------------------


def test_npy_round_trip_keeps_shape_and_dtype(tmp_path: Path) -> None:
    x = np.arange(24, dtype=np.float32).reshape(4, 2, 3)
    np.save(tmp_path / "x.npy", x)
    got = load_array(tmp_path / "x.npy")
    assert got.dtype == np.float32 and np.array_equal(got, x)


def test_csv_with_header_is_float(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "x,y\n1.5, 2\n-3,4e-1\n")
    got = load_array(str(path))
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, [[1.5, 2.0], [-3.0, 0.4]])


def test_csv_without_header_of_integers_is_int(tmp_path: Path) -> None:
    got = load_array(_write(tmp_path / "d.CSV", "1,2,3\n4,5,6\n\n"))
    assert got.dtype == np.int64 and got.shape == (2, 3)


def test_single_column_and_single_row_csv_are_2d(tmp_path: Path) -> None:
    assert load_array(_write(tmp_path / "col.csv", "v\n1\n2\n3\n")).shape == (3, 1)
    assert load_array(_write(tmp_path / "row.csv", "1,2,3\n")).shape == (1, 3)


# --- every error is a one-line DataError with the right message ------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError) as excinfo:
        load_array(tmp_path / "nope.npy")
    assert "not found" in _message(excinfo) and "nope.npy" in _message(excinfo)


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not a file"):
        load_array(tmp_path)


def test_unsupported_extension(tmp_path: Path) -> None:
    with pytest.raises(DataError) as excinfo:
        load_array(_write(tmp_path / "d.txt", "1,2\n"))
    assert "unsupported" in _message(excinfo) and "'.txt'" in _message(excinfo)


def test_corrupt_npy(tmp_path: Path) -> None:
    (tmp_path / "bad.npy").write_bytes(b"\x93NUMPY garbage\nwith\nnewlines")
    with pytest.raises(DataError) as excinfo:
        load_array(tmp_path / "bad.npy")
    assert "could not read" in _message(excinfo) and ".npy" in _message(excinfo)


def test_npy_of_objects_or_strings_is_rejected(tmp_path: Path) -> None:
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="could not read"):
        load_array(tmp_path / "obj.npy")
    np.save(tmp_path / "str.npy", np.array([["a", "b"]]))
    with pytest.raises(DataError, match="non-numeric"):
        load_array(tmp_path / "str.npy")


def test_binary_csv_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x81\x00")
    with pytest.raises(DataError, match="could not read .* as a .csv file"):
        load_array(tmp_path / "bin.csv")


@pytest.mark.parametrize("text", ["", "\n\n", "x,y\n"])
def test_empty_csv(tmp_path: Path, text: str) -> None:
    with pytest.raises(DataError, match="no data rows"):
        load_array(_write(tmp_path / "e.csv", text))


def test_empty_npy(tmp_path: Path) -> None:
    np.save(tmp_path / "e.npy", np.zeros((0, 2)))
    with pytest.raises(DataError, match="empty array"):
        load_array(tmp_path / "e.npy")


def test_scalar_npy_has_too_few_dimensions(tmp_path: Path) -> None:
    np.save(tmp_path / "s.npy", np.float64(3.0))
    with pytest.raises(DataError, match="0 dimensions"):
        load_array(tmp_path / "s.npy")


def test_non_numeric_csv_names_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(DataError) as excinfo:
        load_array(_write(tmp_path / "d.csv", "a,b\n1,2\n3,oops\n"))
    assert "line 3 column 2" in _message(excinfo) and "'oops'" in _message(excinfo)
    assert "dmm train --process tabular" in _message(excinfo)  # text: where it is read


def test_header_mixed_with_numbers_is_not_a_header(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="line 1 column 1 is not a number: 'x'"):
        load_array(_write(tmp_path / "d.csv", "x,2\n1,2\n"))


def test_ragged_csv(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="line 3 has 3 values but the first data row has 2"):
        load_array(_write(tmp_path / "d.csv", "1,2\n3,4\n5,6,7\n"))


def test_nan_and_inf_rows_are_counted_and_listed(tmp_path: Path) -> None:
    x = np.zeros((20, 2, 2))
    bad_rows = [1, 4, 5, 9, 12, 17]
    for k, row in enumerate(bad_rows):
        x[row, k % 2, 1] = np.nan if k % 2 else np.inf
    np.save(tmp_path / "nan.npy", x)
    with pytest.raises(DataError) as excinfo:
        load_array(tmp_path / "nan.npy")
    message = _message(excinfo)
    assert "6 of 20 rows" in message and "1, 4, 5, 9, 12, ..." in message
    listed = message.split("row indices: ")[1]
    assert "17" not in listed  # only the first five indices are listed (not the temp path's)


def test_nan_in_csv(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"1 of 3 rows \(0-based row indices: 1\)"):
        load_array(_write(tmp_path / "d.csv", "1,2\nnan,4\n5,6\n"))


def test_check_shape(tmp_path: Path) -> None:
    check_shape(np.zeros((5, 2)), (2,))
    check_shape(np.zeros((5, 3, 4)), (3, 4))
    with pytest.raises(DataError) as excinfo:
        check_shape(np.zeros((5, 3)), (2,))
    assert "(3,)" in _message(excinfo) and "(2,)" in _message(excinfo)
    with pytest.raises(DataError):
        check_shape(np.zeros((5, 2, 1)), (2,))


# --- the resolver ---------------------------------------------------------------------------


def test_load_data_samples_builtins_deterministically() -> None:
    a = load_data("8gaussians", 50, torch.Generator().manual_seed(3))
    b = load_data("8gaussians", 50, torch.Generator().manual_seed(3))
    assert a.shape == (50, 2) and torch.equal(a, b)


def test_load_data_reads_files_with_the_right_dtype(tmp_path: Path) -> None:
    np.save(tmp_path / "f.npy", np.ones((7, 3), dtype=np.float64))
    np.save(tmp_path / "i.npy", np.arange(6, dtype=np.int32).reshape(3, 2))
    gen = torch.Generator().manual_seed(0)
    f = load_data(str(tmp_path / "f.npy"), 100, gen)
    i = load_data(str(tmp_path / "i.npy"), 100, gen)
    assert f.dtype == torch.float32 and f.shape == (7, 3)
    assert i.dtype == torch.long and i.tolist() == [[0, 1], [2, 3], [4, 5]]
    csv_ints = load_data(str(_write(tmp_path / "c.csv", "a,b\n1,2\n")), 1, gen)
    assert csv_ints.dtype == torch.long


def test_load_data_unknown_name_lists_builtins() -> None:
    with pytest.raises(DataError) as excinfo:
        load_data("chekerboard", 10, torch.Generator())
    message = _message(excinfo)
    assert message.startswith("unknown data set or missing file 'chekerboard' (built-ins: ")
    assert all(name in message for name in ["checkerboard", "8gaussians", "pinwheel"])


def test_load_data_propagates_file_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="unsupported"):
        load_data(str(_write(tmp_path / "d.json", "[]")), 1, torch.Generator())


def test_register_dataset() -> None:
    def ones(n: int, generator: torch.Generator) -> torch.Tensor:
        return torch.ones(n, 3)

    register_dataset("test-ones", ones)
    try:
        assert load_data("test-ones", 4, torch.Generator()).shape == (4, 3)
        with pytest.raises(ValueError, match="already registered"):
            register_dataset("test-ones", ones)
        register_dataset("test-ones", ones, overwrite=True)
    finally:
        del BUILTIN_DATASETS["test-ones"]


@pytest.mark.parametrize(
    "text, needle",
    [
        ("a;b\n0.1;0.2\n0.3;0.4\n", "is not a number: '0.1;0.2' (values are separated by commas; "
         "this file seems to use semicolons)"),
        ("a;b;c\n0,5;1,2;3\n", "but the first data row has 3 values (values are separated by "
         "commas; this file seems to use semicolons)"),
        ("0.1\t0.2\n", "contains no data rows (values are separated by commas; this file seems "
         "to use tabs)"),
    ],
)  # fmt: skip
def test_a_file_of_other_separators_says_commas_are_read(tmp_path, text, needle):
    path = tmp_path / "x.csv"
    path.write_text(text)
    with pytest.raises(DataError) as err:
        load_array(path)
    assert needle in str(err.value)


def test_a_header_naming_a_column_twice_is_refused(tmp_path):
    """`a,a,b` with --context-column a took the first `a` without a word (the second was
    modelled as data, and the samples' header named it `a` too)."""
    path = tmp_path / "dup.csv"
    path.write_text("a,a,b\n0.1,1,0.3\n0.2,0,0.4\n")
    with pytest.raises(DataError, match="names column 'a' twice"):
        read_columns(path)
    path.write_text("a,b,c\n0.1,1,0.3\n")
    assert read_columns(path) == ["a", "b", "c"]


def test_an_unnamed_column_beside_its_default_name_is_named_as_such(tmp_path):
    """pandas' to_csv writes the index under an empty name, `,x0`: the error said 'x0' was
    named twice, which the user never wrote."""
    path = tmp_path / "s2.csv"
    path.write_text(",x0\n0,0.5\n1,0.7\n")
    with pytest.raises(DataError, match="a column without a name .*index=False"):
        read_columns(path)


def test_text_in_cells_to_fill_points_to_an_empty_cell(tmp_path):
    path = tmp_path / "given.csv"
    path.write_text("a,b\n0.5,NA\n")
    with pytest.raises(DataError, match=r"a cell to fill is left empty, or nan"):
        load_array(path, missing=True)
