"""The spreadsheet-safe CSV writer, cell by cell (no I/O): text neutralized as OWASP
recommends, figures left as numbers, and a property over any text."""

from __future__ import annotations

import csv
import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from o2c.api.spreadsheet import csv_text, figure_cell, text_cell

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def formula_cells(text: str, delimiter: str) -> list[str]:
    """Cells a spreadsheet splitting on `delimiter` would read as formulas."""
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    cells = (cell for row in rows for cell in row)
    return [c for c in cells if c.lstrip(" ").startswith(TRIGGERS) and not NUMBER.fullmatch(c)]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x","y")', '"\'=HYPERLINK(""http://x"",""y"")"'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\tTAB", "\"'\tTAB\""),
        ("\rCR", "\"'\rCR\""),
        ("  =1+1", "  '=1+1"),
        ("Dupont; =1+1", "\"Dupont; '=1+1\""),  # `;` separates cells in a French spreadsheet
        ("Acme SA", "Acme SA"),
        ("Acme, Paris", '"Acme, Paris"'),
        ("C-1001", "C-1001"),
        (None, ""),
    ],
)
def test_text_cells_are_neutralized(value: str | None, written: str) -> None:
    assert text_cell(value) == written


@pytest.mark.parametrize("figure", ["-400.00", "0.00", "1200.50", "-3", "17", "2026-04-20", "", None])
def test_figures_stay_numbers(figure: str | None) -> None:
    assert figure_cell(figure) == ("" if figure is None else figure)


@pytest.mark.parametrize(
    ("not_a_figure", "written"), [("=1+1", "'=1+1"), ("-1+1", "'-1+1"), ("-", "'-"), ("1e5", "1e5")]
)
def test_a_figure_column_holding_anything_else_is_text(not_a_figure: str, written: str) -> None:
    assert figure_cell(not_a_figure) == written


def test_a_csv_reads_back_as_written_with_negative_amounts_as_numbers() -> None:
    text = csv_text(["account", "amount"], [["=1+1", "-400.00"], ["Acme, SA", "12.00"]], ["amount"])
    assert text == "account,amount\r\n'=1+1,-400.00\r\n\"Acme, SA\",12.00\r\n"
    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        ["account", "amount"], ["'=1+1", "-400.00"], ["Acme, SA", "12.00"]
    ]


hostile_text = st.text(st.sampled_from([*TRIGGERS, ",", ";", '"', "'", " ", "a", "1", ".", "\u00e9"]), max_size=12)
rows = st.lists(st.tuples(hostile_text, hostile_text, st.decimals(-10**6, 10**6, places=2).map(str)), max_size=5)


@given(rows)
def test_no_separator_a_reader_picks_finds_a_formula(lines: list[tuple[str, str, str]]) -> None:
    text = csv_text(["account", "name", "amount"], lines, ["amount"])
    for delimiter in (",", ";", "\t"):
        assert formula_cells(text, delimiter) == [], delimiter
    # Read as written (comma-separated), each text is kept, only a quote or more added.
    read = list(csv.reader(io.StringIO(text, newline="")))[1:]
    assert len(read) == len(lines)
    for (account, name, amount), cells in zip(lines, read, strict=True):
        assert [c.replace("'", "") for c in cells] == [account.replace("'", ""), name.replace("'", ""), amount]
