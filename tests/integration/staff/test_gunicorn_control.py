"""Gunicorn's control socket stays off with the project's settings: no ``gunicorn.ctl`` that
every instance of the same user would share, and through which ``gunicornc`` could change the
workers or stop the server. Read from gunicorn's own configuration loader, then checked on a
real gunicorn process beside one started with gunicorn's defaults, which does open it."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest
from gunicorn.app.wsgiapp import WSGIApplication

from tests.integration.staff.test_server_logs import (
    GUNICORN_DEFAULTS,
    NORMAL,
    OUR_SETTINGS,
    environment,
    exchange,
    gunicorn,
)

APP = "survey_app.wsgi:build()"


def loaded_settings(monkeypatch: pytest.MonkeyPatch, *options: str) -> Any:
    """Gunicorn's settings for a command line, read the way ``gunicorn`` reads them."""
    monkeypatch.setattr(sys, "argv", ["gunicorn", *options, APP])
    return WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").cfg


def test_our_settings_turn_the_control_socket_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert loaded_settings(monkeypatch, *OUR_SETTINGS).control_socket_disable is True
    assert loaded_settings(monkeypatch).control_socket_disable is False


def sockets(folder: Path) -> list[Path]:
    return sorted(folder.rglob("gunicorn.ctl"))


@pytest.mark.slow
def test_a_gunicorn_with_our_settings_opens_no_control_socket(tmp_path: Path) -> None:
    env = environment(tmp_path)  # XDG_RUNTIME_DIR is tmp_path
    env["HOME"] = str(tmp_path / "home")  # where gunicorn looks without XDG_RUNTIME_DIR
    with gunicorn(env, OUR_SETTINGS, tmp_path / "ours.log") as port:
        assert exchange(port, NORMAL).startswith(b"HTTP/1.1 200")
        assert sockets(tmp_path) == []

    # Control: gunicorn's defaults open one there, so the search above would have found it.
    with gunicorn(env, GUNICORN_DEFAULTS, tmp_path / "defaults.log") as port:
        assert exchange(port, NORMAL).startswith(b"HTTP/1.1 200")
        deadline = time.monotonic() + 30  # a readiness wait, not an assertion about time
        while not sockets(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sockets(tmp_path) == [tmp_path / "gunicorn.ctl"]
