"""Publishing is confirmed on a page that lists what no analyst reviewed; unreviewed theme
names are published only as automatic themes, and the report says truthfully which themes
an analyst named. Publishing twice, a replaced draft, or a review that another analyst is
still changing each get a clear message, never an error page. Every test starts from a copy
of one analysed survey with themes, built once for the module."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from survey_app.extensions import (
    get_db,
    get_keyring,
    get_questionnaires,
    get_theme_options,
    get_unlock_store,
)
from survey_app.services import analysis, publishing, review, surveys
from survey_app.services.errors import ServiceError
from tests.helpers.databases import TestDatabases
from tests.helpers.journey import PASSPHRASE
from tests.helpers.pages import Page, check_page
from tests.helpers.prepared import Prepared, prepare_sample
from tests.helpers.runs import wait_for_run
from tests.integration.reports.support import publish, release_of, staff_member
from tests.integration.reports.test_themes import BASE, SLUG, build_themed
from tests.integration.staff.support import events, form_token


@dataclass(frozen=True)
class Themed:
    release_id: str
    review_key: bytes  # the review's key, unlocked for the key holder who analysed


def _build(app: Flask) -> Themed:
    release_id = build_themed(app)
    with app.app_context():
        key = get_unlock_store().get(release_id)
    assert key is not None
    return Themed(release_id, key)


@pytest.fixture(scope="module")
def prepared_themes(
    tmp_path_factory: pytest.TempPathFactory, test_databases: TestDatabases
) -> Prepared[Themed]:
    """The analysed survey with themes of reports/test_themes.py, built once for the module
    (tests/helpers/prepared.py)."""
    return prepare_sample(tmp_path_factory, test_databases, "themed", _build)


@pytest.fixture
def sample_app(prepared_themes: Prepared[Themed], tmp_path: Path) -> Iterator[Flask]:
    """The sample application on a copy of the analysed survey, its review unlocked as after
    the key holder's analysis on the web (SQLite)."""
    app = prepared_themes.app(tmp_path)
    with app.app_context():
        get_unlock_store().put(
            prepared_themes.made.release_id, prepared_themes.made.review_key, 3600
        )
    yield app
    with app.app_context():
        get_db().dispose()


@pytest.fixture
def release_id(prepared_themes: Prepared[Themed]) -> str:
    """The analysed survey's draft release."""
    return prepared_themes.made.release_id


def _context(app: Flask) -> review.ReviewContext:
    with app.app_context():
        return review.open_review(
            get_db(), get_keyring(), get_questionnaires(), None, SLUG, get_unlock_store()
        )


def _rename(app: Flask, release_id: str, theme: int, label: str, actor: Any = None) -> None:
    with app.app_context():
        review.act(
            get_db(),
            get_keyring(),
            get_questionnaires(),
            get_theme_options(),
            actor,
            SLUG,
            release_id,
            "comments",
            "rename",
            {"theme": str(theme), "label": label},
            get_unlock_store(),
        )


def _publish_page(client: FlaskClient, release_id: str, status: int = 200) -> Page:
    return check_page(client.get(f"{BASE}/publish?release={release_id}"), status)


def _post(client: FlaskClient, page: Page, **data: str) -> Any:
    fields = {
        "csrf_token": form_token(page),
        "release": str(page.one("main form input[name=release]")["value"]),
        "review": str(page.one("main form input[name=review]")["value"]),
        "passphrase": PASSPHRASE,
    }
    return client.post(f"{BASE}/publish", data={**fields, **data})


def _published_headings(client: FlaskClient) -> tuple[list[str], str]:
    page = check_page(client.get(f"{BASE}/report/comments"))
    headings = [h.get_text(strip=True) for h in page.select(".cd-theme h3")]
    return headings, page.one("#themes-engine").get_text(" ", strip=True)


def test_the_page_lists_unnamed_themes_waiting_quotes_and_flags(
    sample_app: Flask, release_id: str
) -> None:
    client, _staff = staff_member(sample_app, "analyst", assigned_to=SLUG)
    found = _context(sample_app).review("comments")
    page = _publish_page(client, release_id)
    assert page.h1 == "Publish the report"
    section = page.one("#unreviewed-comments")
    listed = [li.get_text(strip=True) for li in section.select("[data-unreviewed=themes] li")]
    assert listed == [t.label for t in found.themes if t.reportable]
    waiting = section.select_one("[data-unreviewed=quotes]")
    assert waiting is not None
    assert waiting.get_text(strip=True).startswith(f"{len(found.pending_quotes)} quotes waiting")
    flagged = sum(1 for c in found.comments if c.flags)
    assert flagged > 0  # the canary name is a word redaction is unsure of
    flags = section.select_one("[data-unreviewed=flags]")
    assert flags is not None and flags.get_text(strip=True).startswith(f"{flagged} comment")
    # Naming a theme takes it off the list.
    first = found.themes[0]
    _rename(sample_app, release_id, first.id, "Caseload allocation")
    again = _publish_page(client, release_id).one("#unreviewed-comments")
    listed = [li.get_text(strip=True) for li in again.select("[data-unreviewed=themes] li")]
    assert first.label not in listed and len(listed) == len(found.themes) - 1


def test_publishing_needs_the_tick_and_the_review_as_checked(
    sample_app: Flask, release_id: str
) -> None:
    client, _staff = staff_member(sample_app, "analyst", assigned_to=SLUG)
    page = _publish_page(client, release_id)
    untick = check_page(_post(client, page), 422)
    assert untick.error_messages() == ["Confirm that you have checked what has not been reviewed"]
    # Someone names a theme after the page was opened: the tick is for an old list.
    _rename(sample_app, release_id, _context(sample_app).review("comments").themes[0].id, "X")
    stale = check_page(_post(client, page, confirm="yes"), 422)
    assert stale.error_messages()[0].startswith("The theme review changed after you checked it")
    assert release_of(sample_app, SLUG).status == "draft"
    assert not events(sample_app, "release_published")


def test_unreviewed_names_are_published_as_automatic_and_the_method_says_so(
    sample_app: Flask, release_id: str
) -> None:
    found = _context(sample_app).review("comments")
    named = found.themes[0]
    _rename(sample_app, release_id, named.id, "Caseload allocation")
    client, _staff = staff_member(sample_app, "analyst", assigned_to=SLUG)
    response = _post(client, _publish_page(client, release_id), confirm="yes")
    assert response.status_code == 303
    assert wait_for_run(client, response.headers["Location"]) == "The report is published"
    headings, method = _published_headings(client)
    automatic = [h for h in headings if h != "Caseload allocation"]
    assert "Caseload allocation" in headings and automatic
    assert automatic == [
        f"Automatic theme {n} (not reviewed)" for n in range(1, len(automatic) + 1)
    ]
    for theme in found.themes[1:]:
        assert theme.label not in headings  # never published under its automatic name
    total = len(headings)
    assert method.startswith("Themes were found automatically, by word and phrase patterns")
    assert f"An analyst reviewed and named 1 theme of {total}" in method
    assert "shown as automatic themes, not reviewed" in method
    printable = client.get(f"{BASE}/report/download/html").get_data(as_text=True)
    assert f"An analyst reviewed and named 1 theme of {total}" in printable


def test_the_method_never_claims_a_review_that_did_not_happen(sample_app: Flask) -> None:
    publish(sample_app, SLUG)
    admin, _staff = staff_member(sample_app, "admin")
    headings, method = _published_headings(admin)
    assert headings and all(
        re.fullmatch(r"Automatic theme \d+ \(not reviewed\)", h) for h in headings
    )
    assert "No analyst reviewed them" in method
    assert "reviewed and named" not in method


def test_the_method_says_an_analyst_named_every_theme_only_when_true(
    sample_app: Flask, release_id: str
) -> None:
    for number, theme in enumerate(_context(sample_app).review("comments").themes, start=1):
        _rename(sample_app, release_id, theme.id, f"Named theme {number}")
    publish(sample_app, SLUG)
    admin, _staff = staff_member(sample_app, "admin")
    headings, method = _published_headings(admin)
    assert not any(h.startswith("Automatic theme") for h in headings)
    assert f"then an analyst reviewed and named all {len(headings)} themes" in method


def test_publishing_twice_says_the_report_is_already_published(
    sample_app: Flask, release_id: str
) -> None:
    client, _staff = staff_member(sample_app, "analyst", assigned_to=SLUG)
    page = _publish_page(client, release_id)
    publish(sample_app, SLUG)
    again = check_page(_post(client, page, confirm="yes"), 409)
    assert again.h1 == "The report is already published"
    assert "Nothing has changed since it was published" in again.one("#publish-unavailable").text
    assert _publish_page(client, release_id).h1 == "The report is already published"
    with sample_app.app_context():
        info = surveys.get_survey(get_db(), SLUG)
        with pytest.raises(ServiceError, match="already been published"):
            publishing.publish(
                get_db(),
                get_keyring(),
                get_questionnaires()[info.questionnaire_id],
                SLUG,
                release_id,
                PASSPHRASE,
                actor="test",
            )


def test_a_replaced_draft_says_so(sample_app: Flask, release_id: str) -> None:
    first_id = release_id
    client, _staff = staff_member(sample_app, "analyst", assigned_to=SLUG)
    page = _publish_page(client, first_id)
    with sample_app.app_context():
        info = surveys.get_survey(get_db(), SLUG)
        questionnaire = get_questionnaires()[info.questionnaire_id]
        analysis.run_analysis(
            get_db(),
            get_keyring(),
            questionnaire,
            SLUG,
            PASSPHRASE,
            actor="test",
            theme_options=get_theme_options(),
        )
        with pytest.raises(ServiceError, match="newer analysis has replaced"):
            publishing.publish(
                get_db(), get_keyring(), questionnaire, SLUG, first_id, PASSPHRASE, actor="t"
            )
    replaced = check_page(_post(client, page, confirm="yes"), 409)
    assert replaced.h1 == "This draft has been replaced"


def test_a_locked_review_is_unlocked_first_then_back_to_publishing(
    sample_app: Flask, release_id: str
) -> None:
    with sample_app.app_context():
        get_unlock_store().drop(release_id)
    client, _staff = staff_member(sample_app, "analyst", assigned_to=SLUG)
    page = _publish_page(client, release_id)
    assert page.h1 == "Unlock the theme review before you publish"
    assert not page.select("main form")
    unlock_url = str(page.one("main a[role=button]")["href"])
    unlock = check_page(client.get(unlock_url))
    response = client.post(
        f"{BASE}/review/unlock",
        data={
            "csrf_token": form_token(unlock),
            "release": release_id,
            "next": "publish",
            "passphrase": PASSPHRASE,
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{BASE}/publish?release={release_id}")
    assert _publish_page(client, release_id).h1 == "Publish the report"


def test_publishing_while_another_analyst_is_reviewing(sample_app: Flask, release_id: str) -> None:
    themes = _context(sample_app).review("comments").themes
    other, other_staff = staff_member(sample_app, "analyst", assigned_to=SLUG)
    publisher, _staff = staff_member(sample_app, "admin")
    question = check_page(other.get(f"{BASE}/themes/comments"))
    token = str(question.select("main form[method=post] input[name=csrf_token]")[0]["value"])

    def change(label: str) -> Any:
        data = {"action": "rename", "theme": str(themes[0].id), "label": label}
        return other.post(
            f"{BASE}/themes/comments", data={**data, "csrf_token": token, "release": release_id}
        )

    assert change("Theirs").status_code == 303
    # The publisher is told who else is at work on the review.
    warning = _publish_page(publisher, release_id).one(
        "main .cd-warning-text:-soup-contains('Someone else')"
    )
    assert other_staff.email in warning.get_text()
    with sample_app.app_context():
        checked = publishing.check_before_publishing(
            get_db(),
            get_keyring(),
            get_questionnaires()["report-survey"],
            SLUG,
            release_id,
            get_unlock_store(),
            actor="admin@example.org",
        )
    assert checked.others == (other_staff.email,)

    def publish_now(**options: Any) -> None:
        with sample_app.app_context():
            publishing.publish(
                get_db(),
                get_keyring(),
                get_questionnaires()["report-survey"],
                SLUG,
                release_id,
                PASSPHRASE,
                actor="test",
                **options,
            )

    # They change it again after the publisher's check: publishing refuses.
    assert change("Theirs again").status_code == 303
    with pytest.raises(ServiceError, match="changed after you checked it"):
        publish_now(review=checked.review)

    # They change it while the report is being published: nothing is published.
    def meanwhile(percent: int, _message: str) -> None:
        if percent == 95:
            assert change("Changed meanwhile").status_code == 303

    with pytest.raises(ServiceError, match="while the report was being published"):
        publish_now(progress=meanwhile)
    assert release_of(sample_app, SLUG).status == "draft"
    assert _context(sample_app).review("comments").theme(themes[0].id).label == "Changed meanwhile"
    # Published at last, their next change gets a clear page instead of an error.
    publish_now()
    late = check_page(change("Too late"), 409)
    assert late.h1 == "The theme review has ended"
    assert "Your change was not saved" in late.one("#review-ended").get_text()
    assert check_page(other.get(f"{BASE}/themes"), 404).h1 == "The theme review has ended"
