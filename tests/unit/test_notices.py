"""The privacy notice and accessibility statement come from the deployment's notices file.

Production refuses to start without one, with the bundled demonstration notices, or with a
file that leaves a field empty or a <placeholder> unfilled; each refusal names the file, the
field and the reason.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from config import ConfigError, ProductionConfig
from survey_app.notices import DEMO, TEMPLATE, NoticesError, load_notices
from tests.helpers.notices import filled_notices
from tests.unit.test_config import production_env


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "notices.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def demo_data() -> dict:
    return yaml.safe_load(DEMO.read_text(encoding="utf-8"))


def test_the_demonstration_notices_are_complete() -> None:
    notices = load_notices(DEMO)
    assert notices.key_holder_roles == ("Regional programme lead", "Programme data analyst")
    assert notices.accessibility.status == "partially compliant"
    assert notices.accessibility.reviewed_on == dt.date(2026, 12, 6)


def test_the_template_is_refused_until_it_is_filled_in() -> None:
    with pytest.raises(
        NoticesError, match=r"template\.yaml: organisation: still holds the placeholder <Name of"
    ):
        load_notices(TEMPLATE)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("dpo"), "dpo: is missing or empty"),
        (lambda d: d.update(retention="  "), "retention: is missing or empty"),
        (lambda d: d.update(key_holder_roles=[]), "key_holder_roles: must be a list"),
        (
            lambda d: d.update(key_holder_roles=["Lead", "<role>"]),
            r"key_holder_roles\[2\]: still holds the placeholder <role>",
        ),
        (lambda d: d.update(controller="x"), "controller: is not a field"),
        (
            lambda d: d["accessibility"].update(compliance="mostly"),
            "accessibility.compliance: must be one of full, partial, none",
        ),
        (
            lambda d: d["accessibility"].update(known_issues=[]),
            "accessibility.known_issues: list what does not yet work",
        ),
        (
            lambda d: d["accessibility"].update(prepared_on="6/12/2026"),
            "accessibility.prepared_on: must be a date",
        ),
        (
            lambda d: d["accessibility"].update(reviewed_on="2020-01-01"),
            "accessibility.reviewed_on: is before prepared_on",
        ),
        (lambda d: d.pop("accessibility"), "accessibility: must be a mapping"),
    ],
)
def test_a_faulty_file_is_refused_with_field_and_reason(
    tmp_path: Path, change, message: str
) -> None:
    data = demo_data()
    change(data)
    path = write(tmp_path, data)
    with pytest.raises(NoticesError, match=message) as raised:
        load_notices(path)
    assert str(raised.value).startswith(f"{path}: ")


def test_a_fully_compliant_statement_needs_no_known_issues(tmp_path: Path) -> None:
    data = demo_data()
    data["accessibility"].update(compliance="full", known_issues=[])
    assert load_notices(write(tmp_path, data)).accessibility.known_issues == ()


def test_production_needs_a_notices_file_of_its_own(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SURVEY_NOTICES_FILE must name"):
        ProductionConfig(production_env(tmp_path, SURVEY_NOTICES_FILE=None))
    with pytest.raises(ConfigError, match="names the demonstration notices"):
        ProductionConfig(production_env(tmp_path, SURVEY_NOTICES_FILE=str(DEMO)))
    with pytest.raises(ConfigError, match=r"SURVEY_NOTICES_FILE .*template\.yaml: organisation"):
        ProductionConfig(production_env(tmp_path, SURVEY_NOTICES_FILE=str(TEMPLATE)))
    config = ProductionConfig(
        production_env(tmp_path, SURVEY_NOTICES_FILE=filled_notices(tmp_path))
    )
    assert config.SURVEY_NOTICES.organisation.startswith("Testford Council")
