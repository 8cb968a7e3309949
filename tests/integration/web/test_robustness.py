"""No request, however odd, produces a 500 or a stack trace on the respondent pages."""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from config import test_database_url as postgres_server
from survey_app import create_app
from survey_app.extensions import get_db
from survey_app.services.surveys import SurveyInfo
from tests.conftest import FIXTURE_QUESTIONNAIRES, NO_POSTGRES, make_config
from tests.helpers.databases import TestDatabases
from tests.helpers.journey import create_survey
from tests.helpers.pages import check_page
from tests.integration.web.support import (
    CHECK,
    DONE,
    DRAFT_PREFIX,
    START,
    assert_no_crash,
    section_url,
    stored,
)

FIRST_URL = section_url("first")
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Context:
    client: FlaskClient
    token: str
    survey: SurveyInfo

    @property
    def draft_cookie(self) -> str:
        return f"{DRAFT_PREFIX}{self.survey.id[:12]}_0"


Send = Callable[[Context], TestResponse]


def _raw_post(url: str, body: bytes, content_type: str = FORM) -> Send:
    return lambda c: c.client.post(
        url, data=body.replace(b"TOKEN", c.token.encode()), content_type=content_type
    )


def _get(url: str) -> Send:
    return lambda c: c.client.get(url)


def _with_cookie(name: str | None, value: str, path: str = "/") -> Send:
    def send(c: Context) -> TestResponse:
        with warnings.catch_warnings():
            # The test client warns about cookies too large for a browser; that is the point.
            warnings.simplefilter("ignore", UserWarning)
            c.client.set_cookie(name or c.draft_cookie, value, path=path)
        return c.client.get(FIRST_URL)

    return send


def _repeated(name: str, values: list[str], content_type: str = FORM) -> Send:
    """A page with the required colour answered and one field sent many times."""

    def send(c: Context) -> TestResponse:
        pairs = [(name, value) for value in values] + [("csrf_token", c.token)]
        if name != "colour":
            pairs.append(("colour", "red"))
        return c.client.post(FIRST_URL, data=MultiDict(pairs), content_type=content_type)

    return send


def _multipart(c: Context) -> TestResponse:
    return c.client.post(
        FIRST_URL,
        data={
            "colour": "red",
            "pets": ["cat", "dog"],
            "upload": (io.BytesIO(b"\x00\x01binary\xff" * 100), "evil.exe"),
            "csrf_token": c.token,
        },
        content_type="multipart/form-data",
    )


def _many_cookies(c: Context) -> TestResponse:
    for index in range(300):
        c.client.set_cookie(f"c{index}", "v" * 100, path="/")
    return c.client.get(START)


def _draft_chunks_out_of_order(c: Context) -> TestResponse:
    c.client.set_cookie(c.draft_cookie[:-1] + "1", "AAAA", path="/s/sample-survey/")
    c.client.set_cookie(c.draft_cookie[:-1] + "5", "AAAA", path="/s/sample-survey/")
    return c.client.get(CHECK)


def _json_with_header_token(c: Context) -> TestResponse:
    return c.client.post(
        FIRST_URL,
        data=json.dumps({"colour": "red", "pets": ["cat"]}),
        content_type="application/json",
        headers={"X-CSRFToken": c.token},
    )


# (id, request, statuses it may get)
CASES: list[tuple[str, Send, set[int]]] = [
    # Paths
    ("unknown section", _get("/s/sample-survey/q/nope"), {404}),
    ("empty section", _get("/s/sample-survey/q/"), {404}),
    ("section with extra path", _get("/s/sample-survey/q/first/more"), {404}),
    ("dotted section", _get("/s/sample-survey/q/..%2F..%2Fetc%2Fpasswd"), {404}),
    ("unknown section POST", _raw_post("/s/sample-survey/q/nope", b"csrf_token=TOKEN"), {404}),
    ("very long slug", _get("/s/" + "a" * 5000 + "/"), {404}),
    ("very long slug check", _get("/s/" + "a-" * 3000 + "b/check"), {404}),
    ("very long section id", _get("/s/sample-survey/q/" + "x" * 10000), {404}),
    ("NUL slug", _get("/s/%00/"), {404}),
    ("NUL slug check", _get("/s/%00/check"), {404}),
    ("NUL slug done", _get("/s/%00/done"), {404}),
    ("NUL after slug", _get("/s/sample-survey%00/"), {404}),
    ("NUL in slug section", _get("/s/sample%00survey/q/first"), {404}),
    ("NUL section", _get("/s/sample-survey/q/first%00"), {404}),
    ("unicode slug", _get("/s/%C3%A9t%C3%A9-%F0%9F%92%A9/"), {404}),
    ("unicode section", _get("/s/sample-survey/q/%C3%BCn%C3%AFc%C3%B6d%C3%A9"), {404}),
    ("invalid UTF-8 slug", _get("/s/%FF%FE%FD/"), {404}),
    ("invalid UTF-8 section", _get("/s/sample-survey/q/%C0%AF"), {404}),
    ("uppercase slug", _get("/s/SAMPLE-SURVEY/"), {404}),
    ("slug with SQL", _get("/s/x'%20OR%20'1'='1/"), {404}),
    # Query strings
    ("change repeated", _get(FIRST_URL + "?change=1&change=0&change=%00"), {200}),
    ("NUL in query", _get(START + "?a=%00&%00=b"), {200}),
    ("invalid UTF-8 query", _get(FIRST_URL + "?%FF=%FE&change=%C0"), {200}),
    ("long query", _get(CHECK + "?x=" + "y" * 20000), {303}),
    ("markup in query", _get(FIRST_URL + "?change=%3Cscript%3E"), {200}),
    # Form bodies
    ("field repeated 200 times", _repeated("colour", ["red"] * 200), {303}),
    ("field repeated with 200 values", _repeated("colour", [str(i) for i in range(200)]), {200}),
    ("checkbox repeated 200 times", _repeated("pets", ["cat", "dog"] * 100), {303}),
    ("unknown field 200 times", _repeated("nonsense", ["x"] * 200), {303}),
    ("200 multipart parts", _repeated("pets", ["dog"] * 200, "multipart/form-data"), {303}),
    ("too many multipart parts", _repeated("pets", ["cat"] * 600, "multipart/form-data"), {413}),
    ("NUL in value", _raw_post(FIRST_URL, b"colour=re%00d&mood=%00&csrf_token=TOKEN"), {200}),
    ("raw NUL in value", _raw_post(FIRST_URL, b"colour=red\x00&csrf_token=TOKEN"), {200}),
    ("NUL in name", _raw_post(FIRST_URL, b"col%00our=red&csrf_token=TOKEN"), {200}),
    ("invalid UTF-8 value", _raw_post(FIRST_URL, b"colour=%FF%FE&csrf_token=TOKEN"), {200}),
    # Werkzeug drops a urlencoded body that is not UTF-8, so the token goes with it.
    ("raw invalid UTF-8", _raw_post(FIRST_URL, b"colour=\xff\xfe\xfd&csrf_token=TOKEN"), {400}),
    (
        "invalid UTF-8 text answer",
        _raw_post(
            section_url("second"),
            b"statements__tea=agree&statements__rain=agree&comment=%C3%28%A0%A1&"
            b"years=%FF&csrf_token=TOKEN",
        ),
        {200},
    ),
    ("NUL in number", _raw_post(section_url("second"), b"years=1%000&csrf_token=TOKEN"), {200}),
    (
        "huge number",
        _raw_post(section_url("second"), b"years=" + b"9" * 5000 + b"&csrf_token=TOKEN"),
        {200},
    ),
    ("unparseable body", _raw_post(FIRST_URL, b"%%%&&&===;;;csrf_token=TOKEN"), {400}),
    ("empty body", _raw_post(FIRST_URL, b""), {400}),
    ("text/plain body", _raw_post(FIRST_URL, b"colour=red&csrf_token=TOKEN", "text/plain"), {400}),
    ("multipart with a file", _multipart, {303}),
    (
        "broken multipart",
        _raw_post(FIRST_URL, b"--xyz\r\ngarbage", "multipart/form-data; boundary=xyz"),
        {400},
    ),
    ("multipart without boundary", _raw_post(FIRST_URL, b"abc", "multipart/form-data"), {400}),
    ("JSON body", _raw_post(FIRST_URL, b'{"colour": "red"}', "application/json"), {400}),
    ("JSON body with header token", _json_with_header_token, {200}),
    ("code POST with NUL", _raw_post(START, b"access_code=%00&csrf_token=TOKEN"), {200}),
    ("check POST with NUL", _raw_post(CHECK, b"x=%00&csrf_token=TOKEN"), {303}),
    # Methods
    ("PUT start", lambda c: c.client.put(START), {405}),
    ("DELETE section", lambda c: c.client.delete(FIRST_URL), {405}),
    ("PATCH check", lambda c: c.client.patch(CHECK), {405}),
    ("POST done", _raw_post(DONE, b"csrf_token=TOKEN"), {405}),
    ("POST exit", _raw_post("/exit", b"csrf_token=TOKEN"), {405}),
    ("POST landing", _raw_post("/", b"csrf_token=TOKEN"), {405}),
    ("PUT privacy", lambda c: c.client.put("/privacy"), {405}),
    ("HEAD start", lambda c: c.client.head(START), {200}),
    ("HEAD section", lambda c: c.client.head(FIRST_URL), {200}),
    ("HEAD unknown", lambda c: c.client.head("/s/nope/"), {404}),
    ("OPTIONS start", lambda c: c.client.options(START), {200}),
    ("OPTIONS check", lambda c: c.client.options(CHECK), {200}),
    ("TRACE section", lambda c: c.client.open(FIRST_URL, method="TRACE"), {405}),
    # Headers and cookies
    ("huge cookie", _with_cookie("huge", "x" * 60000), {200}),
    ("many cookies", _many_cookies, {200}),
    ("garbage draft cookie", _with_cookie(None, "%%%garbage%%%", "/s/sample-survey/"), {200}),
    ("non-ASCII draft cookie", _with_cookie(None, "ünïcödé", "/s/sample-survey/"), {200}),
    ("huge draft cookie", _with_cookie(None, "A" * 50000, "/s/sample-survey/"), {200}),
    ("draft cookie of one byte", _with_cookie(None, "AQ", "/s/sample-survey/"), {200}),
    ("draft chunks out of order", _draft_chunks_out_of_order, {303}),
    ("garbage done cookie", _with_cookie("candour_done_" + "x" * 12, "\x00", "/"), {200}),
    ("garbage session cookie", _with_cookie("candour_session", "not.a.session", "/"), {200}),
    (
        "huge header",
        lambda c: c.client.get(START, headers={"X-Whatever": "y" * 60000}),
        {200},
    ),
    (
        "odd accept headers",
        lambda c: c.client.get(
            START, headers={"Accept": "\x00/\x00", "Accept-Language": "ü" * 100}
        ),
        {200},
    ),
]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def shared(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    test_databases: TestDatabases,
) -> Iterator[tuple[Flask, SurveyInfo]]:
    """One application and open survey for this module's many requests, on SQLite and (when
    TEST_DATABASE_URL is set) PostgreSQL, as ``database_url`` does per test. Nothing here may
    store a response, and every test asserts that, so sharing them hides nothing."""
    tmp_path = tmp_path_factory.mktemp("robustness")
    if request.param == "sqlite":
        url = test_databases.sqlite_migrated(tmp_path / "instance" / "candour.db")
    else:
        if postgres_server() is None:
            pytest.skip(NO_POSTGRES)
        url = test_databases.postgres_migrated()
    application = create_app(
        make_config(tmp_path, url, SURVEY_QUESTIONNAIRE_DIR=str(FIXTURE_QUESTIONNAIRES))
    )
    survey = create_survey(application, "sample-survey")
    yield application, survey
    with application.app_context():
        get_db().dispose()
    if request.param == "postgres":
        test_databases.drop(url)


def _context(shared: tuple[Flask, SurveyInfo]) -> Context:
    """A fresh browser that has loaded the first page (so it holds a CSRF token)."""
    app, survey = shared
    client = app.test_client()
    token = check_page(client.get(FIRST_URL)).csrf_token()
    return Context(client, token, survey)


@pytest.mark.parametrize(
    ("send", "statuses"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_odd_requests_never_crash(
    shared: tuple[Flask, SurveyInfo], send: Send, statuses: set[int]
) -> None:
    app, survey = shared
    response = send(_context(shared))

    assert_no_crash(response)
    assert response.status_code in statuses, response.status_code
    if response.status_code >= 400 and response.request.method != "HEAD":
        check_page(response, response.status_code)
    assert stored(app, survey) == 0


def test_wrong_method_gets_the_friendly_page(sample_app: Flask) -> None:
    create_survey(sample_app, "sample-survey")
    page = check_page(sample_app.test_client().put(FIRST_URL), 405)
    assert page.h1 == "Sorry, this page cannot be used in that way"


def test_options_lists_the_allowed_methods(sample_app: Flask) -> None:
    create_survey(sample_app, "sample-survey")
    response = sample_app.test_client().options(CHECK)
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}


# --- Random form bodies --------------------------------------------------------------------

FIELD_NAMES = [
    "colour",
    "pets",
    "mood",
    "statements__tea",
    "statements__rain",
    "years",
    "comment",
    "dog_name_length",
    "access_code",
]
TEXT = st.text(
    alphabet=st.characters(exclude_categories=["Cs"]),  # browsers cannot send lone surrogates
    max_size=300,
)
NAMES = st.one_of(st.sampled_from(FIELD_NAMES), TEXT.filter(lambda n: n != "csrf_token"))
VALUES = st.one_of(TEXT, st.lists(TEXT, max_size=5), st.sampled_from(["red", "cat", "agree", "7"]))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    section=st.sampled_from(["first", "second", "dogs"]),
    fields=st.dictionaries(NAMES, VALUES, max_size=12),
    query=st.sampled_from(["", "?change=1"]),
)
def test_random_form_bodies_never_crash(
    shared: tuple[Flask, SurveyInfo], section: str, fields: dict[str, object], query: str
) -> None:
    browser = _context(shared)
    response = browser.client.post(
        section_url(section) + query, data={**fields, "csrf_token": browser.token}
    )
    assert response.status_code in {200, 303, 400, 413}
    assert_no_crash(response)
    if response.status_code == 200:
        page = check_page(response)
        assert page.title.startswith("Error: ")
    app, survey = shared
    assert stored(app, survey) == 0
