"""The privacy notice and accessibility statement say what the deployment's notices file says,
escaped like any other text, with the parts a UK public body must include."""

from __future__ import annotations

from pathlib import Path

import yaml
from flask import Flask

from survey_app.notices import DEMO, load_notices
from tests.helpers.pages import check_page


def council_notices(tmp_path: Path) -> Path:
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    data.update(
        organisation="Testford & District Council",
        dpo="Jo Bloggs, DPO, dpo@testford.invalid",
        retention="Responses are deleted 18 months after the survey closes.",
        key_holder_roles=["Head of equality", "Workforce analyst"],
        processors=["Hostco Ltd, which runs the server in London"],
    )
    data["accessibility"].update(
        known_issues=["The code entry box does not announce its character count."],
        prepared_on="2026-10-01",
        reviewed_on="2026-11-15",
    )
    path = tmp_path / "council.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_the_privacy_notice_names_controller_dpo_basis_retention_roles_and_the_ico(
    app: Flask, tmp_path: Path
) -> None:
    app.config["SURVEY_NOTICES"] = load_notices(council_notices(tmp_path))
    response = app.test_client().get("/privacy")
    page = check_page(response)
    text = page.text()
    assert "The data controller is Testford & District Council." in text
    assert b"Testford &amp; District" in response.data  # escaped, never markup
    assert "Jo Bloggs, DPO, dpo@testford.invalid" in page.one("#privacy-contacts").get_text()
    assert page.one("#lawful-basis").get_text().startswith("Article 6(1)(e)")
    assert "Article 9(2)(g)" in page.one("#special-category").get_text()
    assert (
        page.one("#retention").get_text()
        == "Responses are deleted 18 months after the survey closes."
    )
    roles = [li.get_text() for li in page.select("#key-holder-roles li")]
    assert roles == ["Head of equality", "Workforce analyst"]
    assert "Hostco Ltd" in page.one("#processors").get_text()
    assert "Information Commissioner’s Office" in text and "0303 123 1113" in text


def test_the_accessibility_statement_has_status_issues_contact_enforcement_and_dates(
    app: Flask, tmp_path: Path
) -> None:
    app.config["SURVEY_NOTICES"] = load_notices(council_notices(tmp_path))
    page = check_page(app.test_client().get("/accessibility"))
    assert (
        "partially compliant with the Web Content Accessibility Guidelines (WCAG) version 2.2"
        in (page.one("#compliance").get_text())
    )
    assert [li.get_text() for li in page.select("#known-issues li")] == [
        "The code entry box does not announce its character count."
    ]
    assert page.one("#accessibility-contact").get_text().startswith("candour@example.invalid")
    assert "Equality Advisory and Support Service" in page.text()
    assert "Equality and Human Rights Commission" in page.text()
    assert page.one("#statement-dates").get_text() == (
        "This statement was prepared on 1 October 2026. It was last reviewed on 15 November 2026."
    )


def test_the_demonstration_notices_show_without_a_file(app: Flask) -> None:
    text = check_page(app.test_client().get("/privacy")).text()
    assert "a demonstration deployment: not a real council" in text
