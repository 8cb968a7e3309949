"""Every route of the app, fuzzed: no request, however hostile, gets a 500 or a stack trace.

Each route in ``app.url_map`` is sent generated requests twice over, as an anonymous visitor
and as an admin signed in with two-factor authentication: its URL variables filled with real
values (the slugs, sessions, users, runs and themes of a small world built first) or hostile
ones; random and hostile query strings and form fields (control characters, lone digits such
as "²", other scripts' digits, markup, formulas, very long text); invalid UTF-8 in the path,
the query string and the body; raw, multipart, JSON and text bodies; methods the route does
not take; with a valid CSRF token most of the time, so the views themselves are reached.
Before the random requests, a sweep that no random search should have to stumble on: every
query parameter and form field the app reads, at once, set to "²" (``str.isdigit()`` accepts
it, ``int()`` refuses it), to a number too long for ``int()``, and to text with a NUL byte
(PostgreSQL can neither store nor compare one); then each URL variable set to the same.
Every route that takes a POST also gets a body over ``MAX_CONTENT_LENGTH`` (413).

The examples are fixed (a seed per route and role), so a failure shows the same request on
every run. Routes that end the admin's session or close things run last, so the others see a
live world. Run it on PostgreSQL too (TEST_DATABASE_URL): some text only fails there.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from config import ROOT
from config import test_database_url as postgres_server
from survey_app import create_app
from survey_app.extensions import get_db, get_keyring, get_questionnaires, get_unlock_store
from survey_app.services import analysis, review, sessions, surveys
from survey_app.storage.models import AnalysisRun, Release, StaffUser
from tests.conftest import FIXTURE_QUESTIONNAIRES, NO_POSTGRES, make_config
from tests.helpers.databases import TestDatabases
from tests.helpers.journey import create_survey
from tests.helpers.pages import check_page
from tests.integration.reports.support import closed_survey, publish
from tests.integration.reports.test_themes import SLUG as THEMED
from tests.integration.reports.test_themes import build_themed
from tests.integration.services.test_sessions import make_series
from tests.integration.staff.support import form_token, make_user, signed_in

TEMPLATES = ROOT / "survey_app" / "web" / "templates"
SOURCES = ROOT / "survey_app" / "web"
# Routes whose success ends the admin's session or closes part of the world: fuzzed last.
LAST = (
    "staff.lock_review",
    "staff.publish_report",
    "staff.close_session",
    "staff.close_survey",
    "staff.deactivate_user",
    "staff.reset_user_two_factor",
    "staff.reset_user_password",
    "staff.change_password",
    "staff.logout",
)
OTHER_METHODS = ("PUT", "DELETE", "PATCH", "TRACE", "PROPFIND")
HUGE = "huge"
SPARE_ADMINS = 3
#: Requests per route and role: about 1,200 in all, in under half a minute on one core.
EXAMPLES = 8
ACTIONS = (
    *("rename", "confirm", "reportable", "not_reportable", "merge", "move", "nominate"),
    *("approve", "reject", "split", "edit_quote", "remove", "add", "keep"),
)


# --- what the app reads -----------------------------------------------------------------------


def _names_read() -> tuple[list[str], list[str]]:
    """Form field and query parameter names the templates and views use (read from the
    source, so a new field is fuzzed without anyone listing it here)."""
    fields: set[str] = set()
    for template in TEMPLATES.rglob("*.html"):
        page = template.read_text(encoding="utf-8")
        fields.update(re.findall(r'name="([A-Za-z_][\w\-]*)"', page))
        fields.update(
            re.findall(r'\b(?:input|radios|checkboxes|textarea|number_input)\(\s*"([\w\-]+)"', page)
        )
    queries: set[str] = set()
    for source in SOURCES.rglob("*.py"):
        code = source.read_text(encoding="utf-8")
        fields.update(re.findall(r'form\.get\(\s*"([\w\-]+)"', code))
        fields.update(re.findall(r'values\.get\(\s*"([\w\-]+)"', code))
        fields.update(re.findall(r"^\s+(\w+) = (?:StringField|PasswordField)\(", code, re.M))
        queries.update(re.findall(r'args\.get(?:list)?\(\s*"([\w\-]+)"', code))
        queries.update(re.findall(r'values\.get\(\s*"([\w\-]+)"', code))
    fields -= {"csrf_token", "viewport", "robots", "referrer", "theme-color"}
    # Fields named after questions and councils (the sample survey's, the report survey's).
    fields |= {"colour", "pets", "mood", "statements__tea", "years", "comment", "dog_name_length"}
    fields |= {"headcount-north", "headcount-south", "headcount-east", "label-0", "label-1"}
    return sorted(fields), sorted(queries | {"next", "change", "page", "done"})


FIELDS, QUERIES = _names_read()

ODD = [
    "",
    "²",
    "١٢",
    "１２",
    " 12",
    "+1",
    "-1",
    "1e3",
    "0",
    "-0",
    "9" * 30,
    "9" * 5000,
    "1,000",
    "../../etc/passwd",
    "\x00",
    "\x1b[31m",
    "\r\n",
    "\u202e",
    "\ufeff",
    "<script>alert(1)</script>",
    "' OR '1'='1",
    '=HYPERLINK("http://x.example","Open")',
    "yes",
    "keep",
    "discard",
    "csv",
    "xlsx",
    "sheet",
    "rename",
    "merge",
    "approve",
    "publish",
    "admin",
    "overall",
    "council",
    "//evil.example/",
    "https://evil.example/",
    "A" * 3000,
]
ODD_NUMBERS = ["²", "١٢", "１２", " 12", "12 ", "+1", "-1", "1e3", "1_000", "9" * 30, "0"]
NUMBER_FIELDS = (
    *("count", "min_group", "per_minute", "minutes", "page", "theme", "into", "to"),
    *("comment", "back_theme", "years", "headcount-north", "headcount-south"),
)
POISON = ("²", "9" * 4400, "twelve\x00")
TEXT = st.one_of(st.text(max_size=30), st.sampled_from(ODD))
BYTES = st.binary(max_size=24)


@dataclass
class World:
    """One application with something of everything, and the real values of each URL
    variable."""

    app: Flask
    values: dict[str, list[str]]
    #: Admins signed in before any request is fuzzed (the sign-in limits count every request
    #: of this module as one client's), each with a CSRF token; the first still signed in
    #: is used, so a fuzzed request that ends a session leaves the next one.
    admins: list[tuple[FlaskClient, str]] = field(default_factory=list)

    def rules(self) -> list[Rule]:
        return list(self.app.url_map.iter_rules())


def _questionnaire_folder(tmp_path: Path) -> Path:
    """The test questionnaires and the real session feedback one (for a series)."""
    folder = tmp_path / "questionnaires"
    shutil.copytree(FIXTURE_QUESTIONNAIRES, folder)
    shutil.copy(ROOT / "questionnaires" / "reflective-space-feedback.yaml", folder)
    return folder


def _build_world(app: Flask) -> World:
    create_survey(app, "sample-survey")  # open, for respondents
    create_survey(app, "sample-survey", slug="codes-survey", access="codes")
    create_survey(app, "report-survey", slug="draft-survey", open_it=False)
    closed_survey(app, "published-survey")
    publish(app, "published-survey")
    build_themed(app)  # analysed, its review unlocked
    series = make_series(app)
    with app.app_context():
        session = sessions.create_session(
            get_db(),
            series,
            get_questionnaires(),
            title="December Reflective Space",
            held_on=dt.date(2026, 12, 10),
            format="online",
        )
        sessions.start_session(get_db(), session.id)
        opened = review.open_review(
            get_db(), get_keyring(), get_questionnaires(), None, THEMED, get_unlock_store()
        )
        themes_review = opened.review("comments")
        theme_ids = [str(t.id) for t in themes_review.themes]
        quote_ids = [q.id for q in themes_review.quotes] or ["q1"]
    for role in ("analyst", "viewer", "facilitator", "admin"):
        make_user(app, role)  # accounts for the user pages to work on
    with app.app_context(), get_db().session() as db:
        users = [str(u) for u in db.scalars(select(StaffUser.id))]
    admins = []
    for number in range(SPARE_ADMINS):
        client, _staff = signed_in(app, "admin", f"fuzzing-admin-{number}@example.org")
        admins.append((client, form_token(check_page(client.get("/staff/account/password")))))
    with app.app_context():
        survey = surveys.get_survey(get_db(), THEMED)
        analysis.start_run(get_db(), survey.id, "admin@example.org")
    with app.app_context(), get_db().session() as db:
        emails = [str(u) for u in db.scalars(select(StaffUser.email))]
        runs = [str(r) for r in db.scalars(select(AnalysisRun.id))]
        releases = [str(r) for r in db.scalars(select(Release.id))]
    values = {
        "slug": [
            *("sample-survey", "codes-survey", "draft-survey", "published-survey"),
            *(THEMED, series.slug),
        ],
        "section_id": ["first", "second", "dogs"],
        "code": [session.short_code],
        "session_id": [session.id],
        "user_id": users,
        "question_id": ["comments", "witnessed", "views", "council"],
        "questionnaire_id": ["sample-survey", "report-survey", "reflective-space-feedback"],
        "run_id": runs,
        "file_format": ["csv", "xlsx", "html", "pdf", "yaml"],
        "kind": ["png", "svg"],
        "theme_id": [*theme_ids, "-1"],
        "filename": ["candour.css", "staff.css", "forms.js", "nope.css"],
        # Form fields and query parameters that the views match against real things.
        "field:release": releases,
        "field:theme": theme_ids,
        "field:into": theme_ids,
        "field:to": [*theme_ids, "-1"],
        "field:back_theme": theme_ids,
        "field:comment": ["0", "1", "2", "35"],
        "field:quote": quote_ids,
        "field:action": [*ACTIONS],
        "field:page": ["theme", "quotes", "question", "1", "2"],
        "field:field": ["label-0", "main-content"],
        "field:email": emails,
        "field:role": ["admin", "analyst", "viewer", "facilitator"],
        "field:view": ["overall", "council", "ethnic_group", "council+ethnic_group"],
        "field:format": ["csv", "xlsx", "html", "pdf", "online", "in_person"],
        "field:output": ["csv", "sheet"],
        "field:access": ["open", "codes", "sessions"],
        "field:questionnaire": ["sample-survey", "report-survey"],
        "field:count": ["1", "5", "5000", "5001"],
        "field:min_group": ["5", "10", "1000"],
        "field:per_minute": ["1", "60", "10000"],
        "field:minutes": ["5", "120"],
        "field:held_on": ["2026-12-10", "2026-02-30"],
        "field:starts_at": ["09:30", "25:00"],
        "field:cycle": ["2027-28", "2026-27"],
        "field:review": ["keep", "discard"],
        "field:confirm": ["yes"],
        "field:carry": ["yes", "no"],
        "field:next": ["publish", "/staff/", "//evil.example/"],
        "field:done": ["opened", "closed", "ceiling"],
        "field:order": ["found", "size", "name"],
        "field:question": ["comments", "witnessed"],
        "field:change": ["1"],
        "field:colour": ["red", "blue"],
        "field:years": ["7", "-1"],
    }
    # Numbers as people and scripts type them: the 500s this file was written to find.
    for name in NUMBER_FIELDS:
        values[f"field:{name}"] = [*values.get(f"field:{name}", []), *ODD_NUMBERS]
    return World(app, values, admins)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    test_databases: TestDatabases,
) -> Iterator[World]:
    """One world for this module's many requests, on SQLite and (with TEST_DATABASE_URL) on a
    PostgreSQL database of its own."""
    tmp_path = tmp_path_factory.mktemp("fuzz")
    if request.param == "sqlite":
        url = test_databases.sqlite_migrated(tmp_path / "instance" / "candour.db")
    else:
        if postgres_server() is None:
            pytest.skip(NO_POSTGRES)
        url = test_databases.postgres_migrated()
        (tmp_path / "instance").mkdir()
    folder = _questionnaire_folder(tmp_path)
    app = create_app(make_config(tmp_path, url, SURVEY_QUESTIONNAIRE_DIR=str(folder)))
    yield _build_world(app)
    with app.app_context():
        get_db().dispose()
    if request.param == "postgres":
        test_databases.drop(url)


def _endpoints() -> list[str]:
    """Every endpoint of the app (read from an application built here, on a folder of its
    own), those in ``LAST`` at the end."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(make_config(Path(folder), f"sqlite:///{folder}/unused.db"))
        found = sorted({rule.endpoint for rule in app.url_map.iter_rules()})
    return [e for e in found if e not in LAST] + [e for e in LAST if e in found]


ENDPOINTS = _endpoints()
CASES = [("anonymous", e) for e in ENDPOINTS] + [("admin", e) for e in ENDPOINTS]


def browser(world: World, role: str) -> tuple[FlaskClient, str]:
    """A browser for ``role`` and a CSRF token of its session."""
    if role == "anonymous":
        client = world.app.test_client()
        return client, check_page(client.get("/staff/login")).csrf_token()
    for client, token in world.admins:
        if client.get("/staff/").status_code == 200:
            return client, token
    raise AssertionError(f"every one of the {SPARE_ADMINS} admins has been signed out")


# --- requests ---------------------------------------------------------------------------------


def _wsgi(value: str | bytes) -> str:
    """A value as a WSGI server puts it in the environ: its bytes, one character each."""
    raw = value.encode("utf-8") if isinstance(value, str) else value
    return raw.decode("latin-1")


def _query_part(value: str | bytes) -> str:
    """Percent-encoded: text, or any bytes (invalid UTF-8 included)."""
    if isinstance(value, bytes):
        return "".join(f"%{b:02X}" for b in value)
    return quote(value, safe="")


def _one_of_weighted(draw: st.DrawFn, weighted: list[tuple[int, st.SearchStrategy[Any]]]) -> Any:
    """A value from one of the strategies, picked with the given weights (``one_of`` leans
    towards its first strategy as Hypothesis simplifies examples)."""
    index = draw(
        st.sampled_from([i for i, (weight, _s) in enumerate(weighted) for _ in range(weight)])
    )
    return draw(weighted[index][1])


def _value(draw: st.DrawFn, real: list[str]) -> str | bytes:
    """Mostly a real value (when there are any), else hostile text or bytes."""
    choices: list[tuple[int, st.SearchStrategy[Any]]] = [(1, TEXT), (1, BYTES)]
    if real:
        choices.append((5, st.sampled_from(real)))
    found: str | bytes = _one_of_weighted(draw, choices)
    return found


@st.composite
def requests(draw: st.DrawFn, rule: Rule, values: dict[str, list[str]]) -> dict[str, Any]:
    """One request for ``rule``: path, method, query string and body."""
    path = rule.rule
    for name in rule.arguments:
        real = values.get(name, [])
        if name == "theme_id":
            real = [*real, *(str(n) for n in (0, -2, 10**12, -(10**12)))]
        value = _value(draw, real)
        path = re.sub(rf"<(?:[^:<>]+:)?{name}>", lambda _m, v=value: _wsgi(v), path)
    allowed = sorted(rule.methods - {"HEAD", "OPTIONS"})  # type: ignore[operator]
    other = [*OTHER_METHODS, "HEAD", "OPTIONS"]
    method = _one_of_weighted(draw, [(8, st.sampled_from(allowed)), (1, st.sampled_from(other))])
    pairs = []
    for _ in range(draw(st.integers(0, 4))):
        name = _one_of_weighted(draw, [(4, st.sampled_from(QUERIES)), (1, TEXT), (1, BYTES)])
        real = values.get(f"field:{name}", []) if isinstance(name, str) else []
        pairs.append((name, _value(draw, real)))
    query = "&".join(f"{_query_part(k)}={_query_part(v)}" for k, v in pairs)
    query += _one_of_weighted(  # bytes outside ASCII, not escaped (some servers pass them on)
        draw, [(4, st.just("")), (1, BYTES.map(lambda raw: "&" + _wsgi(raw)))]
    )
    kind = draw(st.sampled_from(["form"] * 6 + ["raw", "raw", "multipart", HUGE]))
    body: dict[str, Any] = {"kind": kind}
    if kind in ("form", "multipart"):
        count = draw(st.integers(0, 6))
        names = [
            _one_of_weighted(draw, [(4, st.sampled_from(FIELDS)), (1, TEXT)]) for _ in range(count)
        ]
        body["fields"] = {
            name: _field_value(draw, values.get(f"field:{name}", [])) for name in names
        }
        body["token"] = draw(st.sampled_from(["valid"] * 6 + ["missing", "wrong"]))
    elif kind == "raw":
        body["bytes"] = draw(BYTES)
        body["type"] = draw(
            st.sampled_from(
                [
                    "application/x-www-form-urlencoded",
                    "multipart/form-data; boundary=xyz",
                    "multipart/form-data",
                    "application/json",
                    "text/plain",
                    "application/octet-stream",
                ]
            )
        )
    return {"path": path, "method": method, "query": query, "body": body}


def _field_value(draw: st.DrawFn, real: list[str]) -> str | list[str]:
    """One value (text: a form field cannot hold other bytes), or several."""
    if draw(st.integers(0, 5)) == 0:
        return draw(st.lists(TEXT, max_size=3))
    found = _value(draw, real)
    return found.decode("utf-8", "replace") if isinstance(found, bytes) else found


def send(app: Flask, client: FlaskClient, token: str, request: dict[str, Any]) -> TestResponse:
    body = request["body"]
    options: dict[str, Any] = {}
    if request["method"] not in ("GET", "HEAD", "OPTIONS", "TRACE"):
        if body["kind"] in ("form", "multipart"):
            data: dict[str, Any] = dict(body["fields"])
            if body["token"] != "missing":
                data["csrf_token"] = token if body["token"] == "valid" else token[::-1]
            options = {"data": data}
            if body["kind"] == "multipart":
                data["upload"] = (io.BytesIO(b"\x00\xff" * 50), "evil.exe")
                options["content_type"] = "multipart/form-data"
        elif body["kind"] == "raw":
            raw = body["bytes"] + b"&csrf_token=" + token.encode()
            options = {"data": raw, "content_type": body["type"]}
        else:
            size = app.config["MAX_CONTENT_LENGTH"] + 1
            options = {
                "data": b"x=" + b"y" * size,
                "content_type": "application/x-www-form-urlencoded",
            }
    return client.open(
        "/",
        method=request["method"],
        environ_overrides={"PATH_INFO": request["path"], "QUERY_STRING": request["query"]},
        **options,
    )


def assert_no_crash(response: TestResponse, request: dict[str, Any]) -> None:
    assert response.status_code < 500, (response.status_code, request)
    body = response.get_data()  # bytes: a QR code is an image
    assert b"Traceback" not in body, request
    assert b'File "' not in body, request


def _rule(world: World, endpoint: str) -> list[Rule]:
    return [r for r in world.rules() if r.endpoint == endpoint]


# The survey whose pages a route works on: the first of these whose address part is in the
# route's (the sample survey otherwise).
SLUG_FOR = (
    ("/series/", "series"),
    ("/themes", THEMED),
    ("/review/", THEMED),
    ("/publish", THEMED),
    ("/analyse", THEMED),
    ("/report", "published-survey"),
    ("/annual-report", "published-survey"),
    ("/next-cycle", "published-survey"),
    ("/codes", "codes-survey"),
    ("/open", "draft-survey"),
    ("/keys", "draft-survey"),
)


def _real_path(world: World, rule: Rule) -> str:
    """The rule's address with a real value for each variable (a new variable: "x")."""
    path = rule.rule
    for name in rule.arguments:
        value = (world.values.get(name) or ["x"])[0]
        if name == "slug":
            found = next((slug for part, slug in SLUG_FOR if part in rule.rule), value)
            value = world.values["slug"][-1] if found == "series" else found
        path = re.sub(rf"<(?:[^:<>]+:)?{name}>", value, path)
    return path


def sweep(world: World, client: FlaskClient, token: str, rule: Rule) -> None:
    """Before the random requests, a few that no random search should have to stumble on:
    every query parameter and form field the app reads at once, all set to a number that
    ``str.isdigit()`` accepts and ``int()`` refuses ("²"), one too long for ``int()``, and
    text with a NUL byte (which PostgreSQL cannot store or compare); then the same values in
    each of the route's own variables."""
    path = _real_path(world, rule)
    for value in POISON:
        query = "&".join(f"{name}={quote(value)}" for name in QUERIES)
        fields = NUMBER_FIELDS if len(value) > 100 else FIELDS  # stay under the size limit
        data = {name: value for name in fields} | {"csrf_token": token}
        _get_and_post(client, rule, path, query, data)
        for name in rule.arguments:
            odd = re.sub(rf"<(?:[^:<>]+:)?{name}>", _wsgi(value), rule.rule)
            odd = re.sub(r"<[^>]+>", "x", _real_path_from(world, rule, odd))
            _get_and_post(client, rule, odd, "", {"csrf_token": token})


def _real_path_from(world: World, rule: Rule, template: str) -> str:
    """``template`` (a rule with some variables filled) with real values for the rest."""
    filled = _real_path(world, rule)
    parts, real = template.split("/"), filled.split("/")
    return "/".join(
        real[i] if part.startswith("<") and i < len(real) else part for i, part in enumerate(parts)
    )


def _get_and_post(
    client: FlaskClient, rule: Rule, path: str, query: str, data: dict[str, str]
) -> None:
    request = {"path": path[:200], "query": query[:200]}
    for method in ("GET", "POST"):
        if method not in rule.methods:  # type: ignore[operator]
            continue
        response = client.open(
            "/",
            method=method,
            environ_overrides={"PATH_INFO": path, "QUERY_STRING": query},
            data=data if method == "POST" else None,
        )
        assert_no_crash(response, {**request, "method": method})
        response.close()


@pytest.mark.parametrize(("role", "endpoint"), CASES, ids=[f"{r}-{e}" for r, e in CASES])
def test_every_route_survives_hostile_requests(world: World, role: str, endpoint: str) -> None:
    rules = _rule(world, endpoint)
    assert rules, f"{endpoint} is no longer a route"
    client, token = browser(world, role)
    for rule in rules:
        sweep(world, client, token, rule)

    # A fixed seed per route and role: the same requests on every run, different per route.
    @seed(zlib.crc32(f"{role} {endpoint}".encode()))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        rule = data.draw(st.sampled_from(rules))
        request = data.draw(requests(rule, world.values))
        response = send(world.app, client, token, request)
        try:
            assert_no_crash(response, request)
        finally:
            response.close()  # a static file's response holds the file open

    fuzz()


@pytest.mark.parametrize("role", ["anonymous", "admin"])
def test_a_body_over_the_limit_is_refused_on_every_route(world: World, role: str) -> None:
    client, token = browser(world, role)
    size = world.app.config["MAX_CONTENT_LENGTH"] + 1
    body = b"csrf_token=" + token.encode() + b"&x=" + b"y" * size
    for rule in world.rules():
        if rule.endpoint in LAST or "POST" not in rule.methods:  # type: ignore[operator]
            continue
        path = _real_path(world, rule)
        response = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 413, (path, response.status_code)
        page = check_page(response, 413)
        assert page.h1 == "Your answer was too long to send", path
