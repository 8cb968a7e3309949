"""Gunicorn settings for ``make run`` and production.

No access log: a respondent's address and browser must never be written down. The error log
goes through ``AddressFreeLogger``, which never writes an access line (whatever the command
line says), drops gunicorn's "Invalid request from ip=…" lines and removes any other IP
address (``survey_app.logs.ScrubAddresses``). The request line limit is raised because
unfinished answers travel in (encrypted) cookies.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from survey_app.logs import ScrubAddresses


class AddressFreeLogger(Logger):  # type: ignore[misc]  # gunicorn ships no type hints
    """Gunicorn's logger without client addresses, and with no access log at all."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # On the logger for gunicorn's own records, and on its handlers for anything that
        # reaches them another way (a reload runs ``setup`` again: add each filter once).
        for target in (self.error_log, *self.error_log.handlers):
            if not any(isinstance(f, ScrubAddresses) for f in target.filters):
                target.addFilter(ScrubAddresses())

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        """Never: an access line says who asked for what, and when."""


def post_worker_init(worker: Any) -> None:
    """A worker that has held a passphrase retires after answering (survey_app.web.retiring)."""
    from survey_app.web import retiring

    retiring.enable()


logger_class = AddressFreeLogger
accesslog = None
errorlog = "-"
loglevel = "info"
limit_request_field_size = 40960
limit_request_fields = 60
timeout = 60
forwarded_allow_ips = "127.0.0.1"
