"""One CSV dialect detection (delimiter, decimal mark) shared by every reader of CSV files."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_desktop.datasets.csv_dialect import CsvDialect, detect_dialect, dialect_of_text
from mlops_desktop.datasets.tables import preview_table, profile_table
from mlops_desktop.models.signature import signature_from_file

WINE_COLUMNS = [
    "fixed acidity", "volatile acidity", "citric acid", "residual sugar", "chlorides",
    "free sulfur dioxide", "total sulfur dioxide", "density", "pH", "sulphates", "alcohol",
    "quality",
]  # fmt: skip
WINE_ROWS = [
    "7.4;0.7;0;1.9;0.076;11;34;0.9978;3.51;0.56;9.4;5",
    "7.8;0.88;0;2.6;0.098;25;67;0.9968;3.2;0.68;9.8;5",
    "11.2;0.28;0.56;1.9;0.075;17;60;0.998;3.16;0.58;9.8;6",
]


def wine_text(rows: list[str] = WINE_ROWS) -> str:
    """A UCI-wine-style CSV: quoted headers, semicolons between fields."""
    header = ";".join(f'"{c}"' for c in WINE_COLUMNS)
    return "\n".join([header, *rows]) + "\n"


def is_numeric(type_name: str) -> bool:
    return type_name.startswith(("int", "double", "float"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (wine_text(), CsvDialect(";")),
        ("a\tb\tc\n1\t2.5\tx\n", CsvDialect("\t")),
        ("a|b|c\n1|2.5|x\n", CsvDialect("|")),
        ("a,b,c\n1,2.5,x\n", CsvDialect(",")),
        ("name\nalice\nbob\n", CsvDialect(",")),
        ('"name, full";"age"\n"Smith, J";30\n"Doe, A";41\n', CsvDialect(";")),
        ("x;y;z\n7,4;0,7;5\n7,8;0,88;6\n", CsvDialect(";", ",")),
        ("\ufeffa;b\r\n1;2,5\r\n3;4,5\r\n", CsvDialect(";", ",")),
        ('"a";"b";"c"\n', CsvDialect(";")),
        ("a;b\n1,234;x\n5,678;y\n", CsvDialect(";")),  # thousands separators stay text
        ("a;b\n1,5;2.5\n", CsvDialect(";")),  # a decimal point anywhere: no decimal comma
        ("a;b\n1;2\n3;4;5\n6;7\n8;9\n", CsvDialect(";")),  # one bad row does not change it
        ('a,b\n"x;y",1\n"z;w",2\n', CsvDialect(",")),
    ],
    ids=[
        "wine", "tab", "pipe", "comma", "one-column", "quoted-comma", "decimal-comma",
        "bom-crlf", "header-only", "thousands", "mixed-decimals", "bad-row", "quoted-semicolon",
    ],
)  # fmt: skip
def test_dialect_of_text(text: str, expected: CsvDialect) -> None:
    assert dialect_of_text(text) == expected


def test_tsv_stays_tab_and_a_given_delimiter_wins(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    path.write_text("a;b\tc\n1;2\t3,5\n")
    assert detect_dialect(path, fmt="tsv") == CsvDialect("\t", ",")
    assert detect_dialect(path, delimiter=";").delimiter == ";"


def test_a_cut_sample_drops_its_last_record(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    row = "1;2;3\n"
    path.write_text("a;b;c\n" + row * (70_000 // len(row)) + "1;2")
    assert detect_dialect(path) == CsvDialect(";")


def test_wine_csv_profile_and_preview_give_twelve_numeric_columns(tmp_path: Path) -> None:
    path = tmp_path / "winequality-red.csv"
    path.write_text(wine_text())
    profile = profile_table(path, path.name)
    assert [c.name for c in profile.columns] == WINE_COLUMNS
    assert all(is_numeric(c.type) for c in profile.columns) and profile.rows == 3
    assert profile.columns[0].mean == pytest.approx((7.4 + 7.8 + 11.2) / 3)
    preview = preview_table(path, path.name)
    assert preview.columns == WINE_COLUMNS and preview.rows[0][0] == "7.4"
    assert all(is_numeric(t) for t in preview.types)


def test_model_signature_reads_a_semicolon_example(tmp_path: Path) -> None:
    path = tmp_path / "input_example.csv"
    path.write_text(wine_text())
    signature = signature_from_file(path)
    assert [name for name, _ in signature] == WINE_COLUMNS
    assert all(is_numeric(t) for _, t in signature)


@pytest.mark.parametrize(
    ("text", "columns"),
    [
        ("a\tb\n1\t2\n", ["a", "b"]),
        ("a|b\n1|2\n", ["a", "b"]),
        ("a,b\n1,2\n", ["a", "b"]),
        ("only\n1\n2\n", ["only"]),
        ('"name, full";"age"\n"Smith, J";30\n', ["name, full", "age"]),
    ],
    ids=["tab", "pipe", "comma", "one-column", "quoted-comma"],
)
def test_preview_splits_on_the_detected_delimiter(
    tmp_path: Path, text: str, columns: list[str]
) -> None:
    path = tmp_path / "t.csv"
    path.write_text(text)
    preview = preview_table(path, path.name)
    assert preview.columns == columns and len(preview.rows[0]) == len(columns)


def test_decimal_commas_bom_and_crlf_are_read_as_numbers(tmp_path: Path) -> None:
    path = tmp_path / "eu.csv"
    path.write_bytes("\ufeffprice;qty\r\n7,4;3\r\n0,25;4\r\n".encode())
    profile = profile_table(path, path.name)
    assert [(c.name, c.type) for c in profile.columns] == [("price", "double"), ("qty", "int64")]
    assert profile.columns[0].mean == pytest.approx((7.4 + 0.25) / 2)
