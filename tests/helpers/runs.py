"""Follow a key holder job (analysis or publishing) on its progress page until it ends."""

from __future__ import annotations

import time

from flask.testing import FlaskClient

from tests.helpers.pages import check_page

RUNNING = ("Analysing the responses", "Publishing the report")


def wait_for_run(client: FlaskClient, url: str, seconds: float = 120) -> str:
    """The heading of the run's page once the job has finished (it runs in another process)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page = check_page(client.get(url))
        if page.h1 not in RUNNING:
            return page.h1
        time.sleep(0.2)
    raise AssertionError(f"the job did not finish in {seconds:.0f} seconds")
