"""Logging that never records who a respondent is, or exactly when they answered.

Werkzeug's development server logs one line per request, starting with the client address
and the time; such a line for "POST /s/<survey>/check" would record the exact moment a
response was sent. The filter below drops those request lines (start-up messages stay).
Gunicorn (``make run`` and production) keeps no access log unless an operator turns one on —
the README explains how to keep proxy logs clean too.
"""

from __future__ import annotations

import logging
import re

from flask import Flask

# "<address> - - [<date>] <request line>" — the address may be IPv4, IPv6 or a host name.
_REQUEST_LINE = re.compile(r"^\S+ - - \[")


class DropRequestLines(logging.Filter):
    """Refuse Werkzeug's per-request log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and _REQUEST_LINE.match(record.msg))


def init_app(app: Flask) -> None:
    werkzeug_logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, DropRequestLines) for f in werkzeug_logger.filters):
        werkzeug_logger.addFilter(DropRequestLines())
    app.logger.setLevel(logging.INFO)
