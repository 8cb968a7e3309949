"""Downloads of a report, as bytes: a tidy CSV (``tidy``) and a formatted workbook
(``workbook``). They read a :class:`analysis.report.Report` only, never responses, so every
value in a file is one the release publishes, with ``c`` for every hidden one.
"""

from analysis.exports.tidy import COLUMNS, tidy_rows, write_csv
from analysis.exports.workbook import write_workbook

__all__ = ["COLUMNS", "tidy_rows", "write_csv", "write_workbook"]
