"""Text for spreadsheet cells, the same in the CSV and the workbook.

A spreadsheet program reads a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or
carriage return before one of them) as a formula. A survey title, theme name, option label
or quote is typed by people, so such a value is written with a leading apostrophe: Excel and
LibreOffice then keep it as text, also when someone edits the cell later. The workbook also
stores every text cell as a string (never a formula or an error value) and leaves out the
few control characters an XLSX file cannot hold.
"""

from __future__ import annotations

import re

#: What a spreadsheet takes as the start of a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# The C0 control characters that XML 1.0, and so an XLSX file, cannot hold (tab, line feed
# and carriage return are allowed).
_NOT_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def as_text(value: str) -> str:
    """``value`` as a spreadsheet shows it as text: an apostrophe before a formula's start."""
    return f"'{value}" if value.startswith(FORMULA_START) else value


def xlsx_text(value: str) -> str:
    """``value`` for a workbook cell: without the control characters XLSX cannot hold, then
    as :func:`as_text`."""
    return as_text(_NOT_IN_XLSX.sub("", value))
