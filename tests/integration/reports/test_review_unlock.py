"""The theme review is locked until a key holder unlocks it, for a limited time.

The workspace (comments and their themes) is sealed under a key only a key holder's passphrase
opens; unlocking runs in a job process and leaves the key in the unlock store only.
"""

from __future__ import annotations

import pytest
from flask import Flask

from survey_app.extensions import get_db, get_unlock_store
from survey_app.services import review
from tests.helpers.journey import PASSPHRASE
from tests.helpers.pages import check_page
from tests.integration.reports.test_release_attacks import SLUG, closed_with_comments
from tests.integration.staff.support import events, form_token, signed_in

BASE = f"/staff/surveys/{SLUG}"


def lock(app: Flask, release_id: str) -> None:
    with app.app_context():
        get_unlock_store().drop(release_id)


def test_a_locked_review_asks_for_a_passphrase_and_unlocks_for_hours(sample_app: Flask) -> None:
    release_id = closed_with_comments(sample_app)
    lock(sample_app, release_id)
    client, staff = signed_in(sample_app, "admin")
    overview = check_page(client.get(f"{BASE}/report"))
    assert "The comments are locked" in overview.one("#review-themes").get_text()
    response = client.get(f"{BASE}/themes/comments")
    assert response.status_code == 303
    assert response.headers["Location"] == f"{BASE}/review/unlock"
    page = check_page(client.get(f"{BASE}/review/unlock"))
    assert page.h1 == "Unlock the theme review"
    assert "8 hours" in page.soup.get_text()
    unlocked = client.post(
        f"{BASE}/review/unlock",
        data={"csrf_token": form_token(page), "release": release_id, "passphrase": PASSPHRASE},
    )
    assert unlocked.status_code == 303
    assert unlocked.headers["Location"] == f"{BASE}/themes"
    check_page(client.get(f"{BASE}/themes/comments"))
    with sample_app.app_context():
        left = get_unlock_store().expires_in(release_id)
    assert left is not None and 7 * 3600 < left <= 8 * 3600
    overview = check_page(client.get(f"{BASE}/report"))
    assert "unlocked for another 7 hours" in overview.one("#review-themes").get_text()
    assert [(e.actor, e.detail) for e in events(sample_app, "review_unlocked")] == [
        (staff.email, f"release {release_id} for 8 hours")
    ]
    # Locking again ends it at once.
    locked = client.post(f"{BASE}/review/lock", data={"csrf_token": form_token(overview)})
    assert locked.status_code == 303
    assert client.get(f"{BASE}/themes").status_code == 303
    assert events(sample_app, "review_locked")


@pytest.mark.slow
def test_a_wrong_passphrase_is_refused_audited_and_limited(sample_app: Flask) -> None:
    release_id = closed_with_comments(sample_app)
    lock(sample_app, release_id)
    client, staff = signed_in(sample_app, "admin")
    statuses = []
    for _ in range(6):
        page = check_page(client.get(f"{BASE}/review/unlock"))
        response = client.post(
            f"{BASE}/review/unlock",
            data={"csrf_token": form_token(page), "release": release_id, "passphrase": "guess"},
        )
        statuses.append(response.status_code)
        if response.status_code == 400:
            refused = check_page(response, 400)
            assert refused.error_messages() == [
                "That passphrase does not open any key slot of this survey"
            ]
    assert statuses == [400] * 5 + [429]
    # The limit is shared with the other pages that take a passphrase.
    analyse = check_page(client.get(f"{BASE}/analyse"))
    shared = client.post(
        f"{BASE}/analyse", data={"passphrase": "guess", "csrf_token": form_token(analyse)}
    )
    assert shared.status_code == 429
    assert [e.detail for e in events(sample_app, "review_unlocked")] == [
        "refused: wrong passphrase"
    ] * 5
    assert all(e.actor == staff.email for e in events(sample_app, "review_unlocked"))
    with sample_app.app_context():
        assert get_unlock_store().get(release_id) is None


def test_an_unlock_that_ran_out_mid_action_changes_nothing(sample_app: Flask) -> None:
    release_id = closed_with_comments(sample_app)
    client, _staff = signed_in(sample_app, "analyst")
    with sample_app.app_context():
        from survey_app.services import accounts

        accounts.assign(get_db(), email=_staff.email, slug=SLUG, actor="test")
    page = check_page(client.get(f"{BASE}/themes/comments"))
    token = str(page.select("main form[method=post] input[name=csrf_token]")[0]["value"])
    lock(sample_app, release_id)  # the eight hours are up while the page is open
    response = client.post(
        f"{BASE}/themes/comments",
        data={
            "csrf_token": token,
            "release": release_id,
            "action": "rename",
            "theme": "0",
            "label": "Renamed while locked",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"{BASE}/review/unlock?notice=locked"
    notice = check_page(client.get(response.headers["Location"]))
    assert "nothing was changed" in notice.soup.get_text()
    assert not events(sample_app, "theme_review")


def test_the_command_line_asks_for_a_passphrase_when_locked(sample_app: Flask) -> None:
    release_id = closed_with_comments(sample_app)
    lock(sample_app, release_id)
    runner = sample_app.test_cli_runner()
    wrong = runner.invoke(args=["themes", "list", "--survey", SLUG], input="wrong passphrase\n")
    assert wrong.exit_code == 1 and "does not open any key slot" in wrong.output
    listed = runner.invoke(args=["themes", "list", "--survey", SLUG], input=PASSPHRASE + "\n")
    assert listed.exit_code == 0, listed.output
    assert "comments:" in listed.output
    locked = runner.invoke(args=["themes", "lock", "--survey", SLUG])
    assert locked.exit_code == 0 and f"Locked the review of release {release_id}" in locked.output
    with sample_app.app_context(), pytest.raises(review.ReviewLockedError):
        from survey_app.extensions import get_keyring, get_questionnaires

        review.open_review(
            get_db(), get_keyring(), get_questionnaires(), None, SLUG, get_unlock_store()
        )
