"""Gunicorn settings for ``make run`` and production.

No access log: a respondent's address and browser must never be written down. The error log
goes through ``AddressFreeLogger``, which never writes an access line (whatever the command
line says), drops gunicorn's "Invalid request from ip=…" lines and removes any other IP
address (``survey_app.logs.ScrubAddresses``). The request line limit is raised because
unfinished answers travel in (encrypted) cookies.

No control socket: gunicorn 25.1 and later listen on a Unix socket
(``$XDG_RUNTIME_DIR/gunicorn.ctl`` or ``~/.gunicorn/gunicorn.ctl``) through which
``gunicornc`` can change the number of workers, reload or stop the server. Every instance run
by the same user would share that one path, and nothing here needs it: gunicorn is managed by
signals (``kill -HUP``, ``kill -TERM``) and the service manager. Earlier gunicorn versions
ignore the setting.
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


#: How long a thread may hold the interpreter lock while another waits for it (Python's
#: default is 5 ms). Staff and respondents share a worker's threads: while one thread builds a
#: large download, a respondent's request gives the lock up at every database call and then
#: waits up to this long to get it back, tens of times per page. 1 ms keeps such a page within
#: tens of milliseconds; the download pays well under 1 % for the extra switches.
SWITCH_INTERVAL = 0.001


def post_worker_init(worker: Any) -> None:
    """A worker that has held a passphrase retires after answering (survey_app.web.retiring);
    threads hand the interpreter lock on sooner (``SWITCH_INTERVAL``)."""
    import sys

    from survey_app.web import retiring

    retiring.enable()
    sys.setswitchinterval(SWITCH_INTERVAL)


logger_class = AddressFreeLogger
accesslog = None
errorlog = "-"
loglevel = "info"
limit_request_field_size = 40960
limit_request_fields = 60
timeout = 60
forwarded_allow_ips = "127.0.0.1"
control_socket_disable = True
