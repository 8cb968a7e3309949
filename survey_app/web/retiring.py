"""A server process that has held a passphrase stops serving once it has answered.

A key holder's passphrase reaches the web worker in a form body. The worker hands it straight
to a short-lived job process, but Python cannot wipe the request's bytes: the body, the parsed
form and the string stay in freed heap memory until something else happens to overwrite them.
So the worker that took a passphrase (or made a survey's key pair) retires: once its response
has gone out and the job it started has finished, it asks itself to stop, gunicorn finishes its
other requests and starts a fresh worker, and the memory that held the secret goes back to the
operating system with the process.

Only under gunicorn (``survey_app.gunicorn_conf`` turns it on in each worker) and only when
unlocked reviews are kept in Redis (``REDIS_URL``, required in production): without Redis the
one server process of ``make run`` holds unlocked review keys in its own memory, and retiring
it would lock every review again. The test client and ``flask run`` never stop their process.
"""

from __future__ import annotations

import os
import signal
import threading
import time

from flask import Response, current_app, g

JOB_THREAD_PREFIX = "job-"  # services.jobs names the threads that read a job's messages

_enabled = False


def enable() -> None:
    """Called in each gunicorn worker after it starts."""
    global _enabled  # one switch per process, set once at start-up
    _enabled = True


def after_this_request() -> None:
    """Retire this worker once the current response has been sent."""
    g.candour_retire = True


def retire_if_asked(response: Response) -> Response:
    """An ``after_request`` hook: schedule the stop when the request asked for it."""
    if g.get("candour_retire") and _enabled and current_app.config.get("REDIS_URL"):
        response.headers["Connection"] = "close"  # gunicorn closes the connection after it
        response.call_on_close(_stop_when_jobs_end)
    return response


def _stop_when_jobs_end() -> None:
    threading.Thread(target=_stop, name="retire", daemon=True).start()


def _stop() -> None:
    # A job started here sends its messages (progress, a review key for Redis) through this
    # process: wait for it to finish before leaving.
    while any(t.name.startswith(JOB_THREAD_PREFIX) for t in threading.enumerate()):
        time.sleep(0.5)
    # Gunicorn's workers take SIGTERM as "finish what you are doing, then exit".
    os.kill(os.getpid(), signal.SIGTERM)
