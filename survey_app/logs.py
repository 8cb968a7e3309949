"""Logging that never records who a respondent is.

Werkzeug's development server writes the client address at the start of every request
line; the filter below blanks it. Gunicorn (``make run`` and production) keeps no access log
unless an operator turns one on — the README explains how to keep proxy logs clean too.
"""

from __future__ import annotations

import logging

from flask import Flask


class DropClientAddress(logging.Filter):
    """Blank the client address in Werkzeug's request log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if (
            isinstance(record.msg, str)
            and record.msg.startswith("%s - - [%s]")
            and isinstance(record.args, tuple)
            and record.args
        ):
            record.args = ("-", "-", *record.args[2:])
        return True


def init_app(app: Flask) -> None:
    werkzeug_logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, DropClientAddress) for f in werkzeug_logger.filters):
        werkzeug_logger.addFilter(DropClientAddress())
    app.logger.setLevel(logging.INFO)
