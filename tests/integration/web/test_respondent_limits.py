"""Respondent pages never meet the rate limiter: nothing is counted, checked or keyed for
them, and the sender's address is never even worked out, whatever headers arrive. (The staff
sign-in limits, which do key on an HMAC of a staff member's address, are tested under
``tests/integration/staff/``.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from survey_app.extensions import limiter
from survey_app.web.staff import throttling
from tests.helpers.journey import create_survey
from tests.helpers.pages import check_page
from tests.integration.web.support import START, complete

HOSTILE = {
    "REMOTE_ADDR": "198.51.100.23",
    "HTTP_X_FORWARDED_FOR": "203.0.113.66, 198.51.100.23",
    "HTTP_X_REAL_IP": "203.0.113.66",
    "HTTP_FORWARDED": "for=203.0.113.66",
}


@pytest.fixture
def consulted(sample_app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every time the limiter counts or checks anything, and every time the sign-in limits
    work out a client address."""
    calls: list[str] = []

    def spy(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def recorded(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return original(*args, **kwargs)

        return recorded

    def strategy_spy(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def recorded(strategy: Any, *args: Any, **kwargs: Any) -> Any:
            if strategy is limiter.limiter:  # not the survey ceilings' own counters
                calls.append(name)
            return original(strategy, *args, **kwargs)

        return recorded

    # On the strategy's class, checked when called: the limiter uses the strategy of the
    # application it set up last, which need not be the one it had when this fixture ran.
    strategy = type(limiter.limiter)
    for name in ("hit", "test", "get_window_stats"):
        monkeypatch.setattr(strategy, name, strategy_spy(name, getattr(strategy, name)))
    monkeypatch.setattr(throttling, "client_address", spy("address", throttling.client_address))
    return calls


def test_a_whole_journey_with_hostile_headers_never_reaches_the_limiter(
    sample_app: Flask, consulted: list[str]
) -> None:
    # As strict as it gets: behind a proxy, one attempt a minute per address.
    sample_app.config["SURVEY_PROXY_COUNT"] = 1
    sample_app.config["SURVEY_LOGIN_LIMIT_PER_ADDRESS"] = "1 per minute"
    create_survey(sample_app, "sample-survey")
    for _ in range(3):  # three people answering from one office address
        client = sample_app.test_client()
        client.environ_base.update(HOSTILE)
        for path in ("/", "/cookies", "/privacy", START):
            assert client.get(path).status_code == 200
        complete(sample_app, client)
    assert consulted == []
    # Control: the same spies see a staff sign-in attempt from the same browser.
    token = check_page(client.get("/staff/login")).csrf_token()
    sent = client.post(
        "/staff/login",
        data={"email": "someone@example.org", "password": "a guess", "csrf_token": token},
    )
    assert sent.status_code == 200
    assert "address" in consulted and "hit" in consulted
