"""The 500s that fuzzing found (tests/integration/web/test_fuzz_routes.py and the survey that
led to it), each replayed: they are friendly pages now.

- ``str.isdigit()`` accepts "²", which ``int()`` refuses: the audit log's ``page``, the codes
  form's ``count`` and the new-survey form's ``min_group`` crashed on it.
- Werkzeug decodes a raw query string as strict UTF-8, for ``request.args`` and
  ``request.full_path``: a raw byte outside ASCII in the query string (which gunicorn refuses
  but other servers pass on) crashed every page that reads a query parameter, and the "page
  timed out" page of any form sent without a valid CSRF token.
- PostgreSQL can neither store nor compare a NUL byte: a ``%00`` in an address's session,
  account or run id, in a sign-in email address, in an email address given to a series, or in
  the release a publish page names, reached a query and crashed it (these tests fail only on
  the PostgreSQL leg, TEST_DATABASE_URL, where the crash was).
"""

from __future__ import annotations

import pytest
from flask import Flask

from tests.helpers.journey import create_survey
from tests.helpers.pages import check_page
from tests.integration.reports.support import closed_survey
from tests.integration.services.test_sessions import make_series
from tests.integration.staff.support import (
    PASSWORD,
    form_token,
    make_user,
    post_form,
    signed_in,
    submit_password,
)
from tests.integration.staff.test_surveys import GOOD, NEW

SUPERSCRIPT_TWO = "²"


def test_the_audit_log_reads_only_ascii_page_numbers(app: Flask) -> None:
    client, _staff = signed_in(app, "admin")
    for page in ("%C2%B2", "%D9%A1", "%EF%BC%92", "9" * 5000, "+2", "%202"):
        response = client.get(f"/staff/audit?page={page}")
        assert check_page(response).title.startswith("Audit log"), page


def test_a_superscript_count_of_codes_is_a_form_error(app: Flask) -> None:
    create_survey(app, "reflective-space-feedback", slug="coded", access="codes")
    client, _staff = signed_in(app, "admin")
    url = "/staff/surveys/coded/codes"
    for count in (SUPERSCRIPT_TWO, "١٢", "1e3", "9" * 5000):
        page = check_page(post_form(client, url, {"count": count, "output": "csv"}))
        assert page.error_messages() == ["Enter how many codes to make, as a whole number"]


def test_a_superscript_smallest_group_is_a_form_error(app: Flask) -> None:
    client, _staff = signed_in(app, "admin")
    for value in (SUPERSCRIPT_TWO, "١٢", " +12", "1_000"):
        page = check_page(post_form(client, NEW, {**GOOD, "min_group": value}))
        assert page.error_messages() == [
            "Enter the smallest group a report may show, as a whole number"
        ]


@pytest.mark.parametrize("path", ["/staff/login", "/", "/s/sample-survey/q/first"])
def test_raw_bytes_in_the_query_string_are_read_as_escaped(sample_app: Flask, path: str) -> None:
    create_survey(sample_app, "sample-survey")
    client = sample_app.test_client()
    response = client.get(path, environ_overrides={"QUERY_STRING": "next=\x80\xff&change=1"})
    check_page(response)


def test_the_timed_out_page_links_back_to_an_address_with_raw_bytes(sample_app: Flask) -> None:
    create_survey(sample_app, "sample-survey")
    client = sample_app.test_client()
    client.get("/s/sample-survey/q/first")  # a session cookie: the timed-out page, not cookies
    response = client.post(
        "/s/sample-survey/q/first",
        data={"colour": "red"},  # no CSRF token
        environ_overrides={"QUERY_STRING": "change=1&x=\x80"},
    )
    page = check_page(response, 400)
    assert page.select("a[href='/s/sample-survey/q/first?change=1&x=%80']")


def test_a_nul_byte_in_an_address_is_not_found(sample_app: Flask) -> None:
    closed_survey(sample_app, analyse=False)
    client, _staff = signed_in(sample_app, "admin")
    for path in (
        "/staff/users/%00",
        "/staff/users/ab%00cd/deactivate",
        "/staff/sessions/%00",
        "/staff/sessions/%00/room",
        "/staff/surveys/report-survey/analyse/%00",
        "/s/sample%00survey/",
    ):
        check_page(client.get(path), 404)


def test_a_nul_byte_in_an_email_address_is_not_a_crash(app: Flask) -> None:
    staff = make_user(app, "viewer")
    wrong = check_page(submit_password(app.test_client(), "view\x00er@example.org", "a guess"))
    assert wrong.error_messages()
    # NUL is not part of an address: the one typed around it is the account's.
    signed = submit_password(app.test_client(), staff.email.replace("@", "\x00@"), PASSWORD)
    assert signed.status_code == 303
    series = make_series(app)
    admin, _ = signed_in(app, "admin")
    page = check_page(admin.get("/staff/account/password"))  # any form's token will do
    response = admin.post(
        f"/staff/series/{series.slug}/people",
        data={"email": "nobody\x00@example.org", "csrf_token": form_token(page)},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("done=unchanged")


def test_a_publish_page_for_a_malformed_release_is_not_found(sample_app: Flask) -> None:
    built = closed_survey(sample_app)
    client, _staff = signed_in(sample_app, "admin")
    url = f"/staff/surveys/{built.slug}/publish"
    assert check_page(client.get(f"{url}?release={built.release_id}")).h1
    for release in ("%00", built.release_id + "%00", built.release_id.upper(), "x" * 32):
        check_page(client.get(f"{url}?release={release}"), 404)
