"""The analysed survey that report tests start from is built once per module and copied for
each test (tests/helpers/prepared.py): a copy is whole, and the test's own."""

from __future__ import annotations

from pathlib import Path

from survey_app.extensions import get_db
from tests.helpers.prepared import Prepared
from tests.integration.reports.support import Built, publish, release_of


def test_each_copy_opens_and_changes_alone(analysed: Prepared[Built], tmp_path: Path) -> None:
    first, second = analysed.app(tmp_path / "first"), analysed.app(tmp_path / "second")
    try:
        assert release_of(first).id == release_of(second).id == analysed.made.release_id
        publish(first)
        assert release_of(first, published_only=True).status == "published"
        assert release_of(second).status == "draft"
        assert release_of(second).protected.size(()) == len(analysed.made.response_ids)
    finally:
        for app in (first, second):
            with app.app_context():
                get_db().dispose()
