"""Logging that never records who a respondent is, or exactly when they answered.

Werkzeug's development server logs one line per request, starting with the client address
and the time; such a line for "POST /s/<survey>/check" would record the exact moment a
response was sent. The filter below drops those request lines (start-up messages stay).

Gunicorn (``make run`` and production) keeps no access log, and its error log goes through
``ScrubAddresses`` (see ``survey_app.gunicorn_conf``): gunicorn's "Invalid request from
ip=…" lines, which record who sent a malformed request and when, are dropped, and any other
IP address in a record is replaced. The README explains how to keep proxy logs clean too.
"""

from __future__ import annotations

import ipaddress
import logging
import re

from flask import Flask

# "<address> - - [<date>] <request line>" — the address may be IPv4, IPv6 or a host name.
_REQUEST_LINE = re.compile(r"^\S+ - - \[")


class DropRequestLines(logging.Filter):
    """Refuse Werkzeug's per-request log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and _REQUEST_LINE.match(record.msg))


# Candidates only; each is checked with ``ipaddress`` before it is replaced, so times such as
# 10:30:15 and version numbers such as 27.0.1 stay as they are.
_IPV4 = re.compile(r"(?<![0-9.])[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?![0-9]|\.[0-9])")
_IPV6 = re.compile(
    r"(?<![0-9A-Za-z_:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}"
    r"(?:(?<=:)[0-9]{1,3}(?:\.[0-9]{1,3}){3})?(?:%[0-9A-Za-z_-]+)?(?![0-9A-Za-z_:]|\.[0-9])"
)
ADDRESS_REMOVED = "[address removed]"
# Gunicorn's line for a malformed request: who sent it, and when (the log line's time).
_PER_REQUEST = ("Invalid request from ip=",)


def scrub_addresses(text: str) -> str:
    """``text`` with every IPv4 and IPv6 address replaced by ``[address removed]``."""

    def replace(match: re.Match[str]) -> str:
        candidate = match.group(0)
        try:
            ipaddress.ip_address(candidate.split("%", 1)[0])
        except ValueError:
            return candidate
        return ADDRESS_REMOVED

    return _IPV4.sub(replace, _IPV6.sub(replace, text))


class ScrubAddresses(logging.Filter):
    """Drop gunicorn's per-request client-error lines; take IP addresses out of the rest,
    tracebacks included."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith(_PER_REQUEST):
            return False
        scrubbed = scrub_addresses(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub_addresses(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub_addresses(record.stack_info)
        return True


def init_app(app: Flask) -> None:
    werkzeug_logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, DropRequestLines) for f in werkzeug_logger.filters):
        werkzeug_logger.addFilter(DropRequestLines())
    app.logger.setLevel(logging.INFO)
