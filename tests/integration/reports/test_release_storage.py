"""A release stored in two parts, and what each web worker keeps of it (``services.releases``).

Report pages and downloads decrypt the published figures only; the disclosure audit is
stored apart, read and checked when a release is published or changed. Each process keeps
the figures it parsed and the files it built, and reads them again as soon as another
process changes the release: two applications on one database play two gunicorn workers.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from survey_app import create_app
from survey_app.extensions import (
    get_db,
    get_keyring,
    get_questionnaires,
    get_theme_options,
    get_unlock_store,
)
from survey_app.services import releases, review
from survey_app.services.errors import ServiceError
from survey_app.storage.models import Release, ReleaseAudit
from tests.conftest import FIXTURE_QUESTIONNAIRES, make_config
from tests.helpers.pages import check_page
from tests.integration.reports import test_themes
from tests.integration.reports.support import SLUG, Built, publish, release_of, staff_member
from tests.integration.staff.support import events

OVERVIEW = f"/staff/surveys/{SLUG}/report"
CSV = f"{OVERVIEW}/download/csv"


@pytest.fixture
def other(sample_app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """Another application on the same database with the same secrets, as a second gunicorn
    worker is: nothing in memory is shared with ``sample_app``."""
    config = make_config(
        tmp_path / "second",
        sample_app.config["SURVEY_DATABASE_URL"],
        SURVEY_QUESTIONNAIRE_DIR=str(FIXTURE_QUESTIONNAIRES),
        SECRET_KEY=sample_app.config["SECRET_KEY"],
        SURVEY_DATA_KEYS=sample_app.config["SURVEY_DATA_KEYS"],
        SURVEY_CODE_SECRET=sample_app.config["SURVEY_CODE_SECRET"],
    )
    (tmp_path / "second" / "instance").mkdir(parents=True)
    app = create_app(config)  # the database is migrated already
    yield app
    with app.app_context():
        get_db().dispose()


def _stored(app: Flask, release_id: str) -> tuple[Release, ReleaseAudit | None]:
    with app.app_context(), get_db().session() as session:
        row = session.get(Release, release_id)
        assert row is not None
        return row, session.get(ReleaseAudit, release_id)


def _whole(app: Flask, release_id: str) -> dict[str, Any]:
    with app.app_context(), get_db().session() as session:
        row = session.get(Release, release_id)
        assert row is not None
        return releases.read_release(session, get_keyring(), row)


def _rewrite(app: Flask, release_id: str, document: dict[str, Any]) -> None:
    with app.app_context(), get_db().transaction() as session:
        row = session.get(Release, release_id)
        assert row is not None
        releases.write_release(session, get_keyring(), row, document)


def test_the_figures_are_stored_apart_from_the_audit(sample_app: Flask, built: Built) -> None:
    publish(sample_app)
    row, audit = _stored(sample_app, built.release_id)
    assert audit is not None
    with sample_app.app_context():
        keyring = get_keyring()
        figures = releases.open_figures(keyring, row.survey_id, row.id, row.payload)
        # Neither part opens as the other (nor as another release's).
        with pytest.raises(ServiceError, match="cannot be read"):
            releases.open_figures(keyring, row.survey_id, row.id, audit.payload)
        with pytest.raises(ServiceError, match="cannot be read"):
            releases.open_figures(keyring, row.survey_id, "0" * 32, row.payload)
    whole = _whole(sample_app, built.release_id)
    assert "audit" not in figures["release"]
    assert not set(releases.PRIVATE_FIELDS) & set(figures)
    assert whole["release"]["audit"], "the report hides values, so it has an audit"
    assert "fingerprints" in whole
    assert releases.split_document(whole)[0] == figures
    # Both parts are encrypted: no field name of either is in the stored bytes.
    for blob in (row.payload, audit.payload):
        assert b'"value_range"' not in blob and b'"population"' not in blob
    # The audit is most of a release; the figures a page reads are the rest.
    audit_text = json.dumps(whole["release"]["audit"])
    assert len(row.payload) < len(json.dumps(whole)) - len(audit_text) + 1024


def test_pages_and_downloads_read_the_figures_only(
    sample_app: Flask, built: Built, other: Flask
) -> None:
    client, _admin = staff_member(sample_app, "admin")
    overview = check_page(client.get(OVERVIEW))
    tables = [str(t) for t in overview.select("main table")]
    content = client.get(CSV).get_data()
    # Without its audit, a release is still shown and downloaded exactly as before, by a
    # worker that has read nothing of it yet ...
    with sample_app.app_context(), get_db().transaction() as session:
        audit = session.get(ReleaseAudit, built.release_id)
        assert audit is not None
        session.delete(audit)
    analyst, _staff = staff_member(other, "analyst", assigned_to=SLUG)
    assert [str(t) for t in check_page(analyst.get(OVERVIEW)).select("main table")] == tables
    assert analyst.get(CSV).get_data() == content
    # ... but it cannot be published: publishing reads and checks the audit.
    with pytest.raises(ServiceError, match="does not belong to its figures"):
        publish(sample_app)
    assert release_of(sample_app).status == "draft"


def test_publishing_refuses_figures_that_are_not_the_audited_ones(
    sample_app: Flask, built: Built
) -> None:
    whole = _whole(sample_app, built.release_id)
    changed = copy.deepcopy(whole)
    changed["release"]["sizes"][0]["value"] += 1  # the overall count, shown
    with sample_app.app_context(), get_db().transaction() as session:
        row = session.get(Release, built.release_id)
        assert row is not None
        sealed = releases.seal_release(get_keyring(), row.survey_id, row.id, changed)
        row.payload = sealed.figures  # the figures only: the audit is the earlier one
    with pytest.raises(ServiceError, match="does not belong to its figures"):
        publish(sample_app)
    assert release_of(sample_app).status == "draft"


def test_an_audit_must_account_for_exactly_the_hidden_values(
    sample_app: Flask, built: Built
) -> None:
    whole = _whole(sample_app, built.release_id)
    entries = whole["release"]["audit"]
    assert len(entries) > 1
    short = copy.deepcopy(whole)
    short["release"]["audit"] = entries[1:]  # a hidden value no rule accounts for
    extra = copy.deepcopy(whole)
    overall = {"population": [], "item": None, "column": "Total", "rule": "P1"}
    extra["release"]["audit"] = [*entries, {**overall, "value_range": [0, 20]}]
    for document in (short, extra):
        with pytest.raises(ServiceError, match="does not account for every hidden figure"):
            _rewrite(sample_app, built.release_id, document)
    assert _whole(sample_app, built.release_id) == whole  # nothing was written
    _rewrite(sample_app, built.release_id, whole)  # the true audit is accepted
    publish(sample_app)
    assert release_of(sample_app).status == "published"


def test_a_worker_parses_a_release_once_and_builds_a_download_once(
    sample_app: Flask, built: Built
) -> None:
    first, again = release_of(sample_app), release_of(sample_app)
    assert again.protected is first.protected  # from this process's cache
    client, _admin = staff_member(sample_app, "admin")
    content = client.get(CSV).get_data()
    with sample_app.app_context():
        files = releases.files_cache(get_db())
        assert len(files) == 1
        assert client.get(CSV).get_data() == content
        assert len(files) == 1
    # Every download is still recorded, built or not.
    assert len(events(sample_app, "export")) == 2


def test_publishing_in_one_worker_is_seen_by_another(
    sample_app: Flask, built: Built, other: Flask
) -> None:
    viewer, _viewer = staff_member(other, "viewer")
    analyst, _analyst = staff_member(other, "analyst", assigned_to=SLUG)
    # The second worker has read the draft (an analyst's page and download) ...
    draft = release_of(other)
    assert draft.status == "draft"
    status = check_page(analyst.get(OVERVIEW)).one("#release-status").get_text(strip=True)
    assert status == "Draft, not published"
    assert analyst.get(CSV).status_code == 200
    # ... which a viewer may not see, whatever that worker holds.
    assert viewer.get(OVERVIEW).status_code == 404
    assert viewer.get(CSV).status_code == 404
    publish(sample_app)  # the first worker publishes
    published = release_of(other)
    assert published.status == "published" and published.revision > draft.revision
    page = check_page(viewer.get(OVERVIEW))
    assert page.one("#release-status").get_text(strip=True) == "Published"
    assert page.select("main table")
    assert analyst.get(CSV).get_data() == viewer.get(CSV).get_data()
    exported = [e.detail for e in events(other, "export")]  # newest first
    assert [d.split(", views")[0] for d in exported] == [
        f"report csv, release {draft.id} (published)",
        f"report csv, release {draft.id} (published)",
        f"report csv, release {draft.id} (draft)",
    ]


def test_a_review_action_in_one_worker_is_seen_by_another(sample_app: Flask, other: Flask) -> None:
    release_id = test_themes.build_themed(sample_app)
    before = release_of(other, test_themes.SLUG)
    analyst, _analyst = staff_member(other, "analyst", assigned_to=test_themes.SLUG)
    page = f"{test_themes.BASE}/report/comments"
    assert "Caseload allocation" not in check_page(analyst.get(page)).soup.get_text()
    with sample_app.app_context():
        context = review.open_review(
            get_db(),
            get_keyring(),
            get_questionnaires(),
            None,
            test_themes.SLUG,
            get_unlock_store(),
        )
        theme = context.review("comments").themes[0].id
        review.act(
            get_db(),
            get_keyring(),
            get_questionnaires(),
            get_theme_options(),
            None,
            test_themes.SLUG,
            release_id,
            "comments",
            "rename",
            {"theme": str(theme), "label": "Caseload allocation"},
            get_unlock_store(),
        )
    after = release_of(other, test_themes.SLUG)
    assert after.revision == before.revision + 1
    labels = after.themes["comments"].theme_labels().values()
    assert "Caseload allocation" in labels
    assert "Caseload allocation" in check_page(analyst.get(page)).soup.get_text()


def test_the_analyse_page_copes_with_an_audit_it_cannot_read(
    sample_app: Flask, built: Built
) -> None:
    """What analysing again would replace is counted from the figures; a published report
    whose audit (with the review's record) cannot be read has no record to carry."""
    publish(sample_app)
    with sample_app.app_context():
        assert review.review_at_stake(get_db(), get_keyring(), SLUG) is not None
        with get_db().transaction() as session:
            audit = session.get(ReleaseAudit, built.release_id)
            assert audit is not None
            session.delete(audit)
        stake = review.review_at_stake(get_db(), get_keyring(), SLUG)
    assert stake is not None and stake.status == "published" and not stake.carryable
    client, _admin = staff_member(sample_app, "admin")
    check_page(client.get(f"/staff/surveys/{SLUG}/analyse"))
