"""Names people type that a spreadsheet or a reader could be fooled by.

A theme name with a control character or an invisible formatting mark is refused on the
review page (with the error beside the name and a summary link) and on the command line. A
survey title and theme names written as formulas (``=HYPERLINK(…)``) or as an error value
(``#N/A``) are accepted, shown as text on the pages, and downloaded as text: no cell of the
workbook is a formula, and the CSV and workbook both start them with an apostrophe."""

from __future__ import annotations

import csv
import io

from flask import Flask
from openpyxl import load_workbook

from survey_app.extensions import (
    get_db,
    get_keyring,
    get_questionnaires,
    get_theme_options,
    get_unlock_store,
)
from survey_app.services import analysis, surveys
from survey_app.services.submission import submit_response
from survey_app.services.themes import THEME_NAME_CONTROL_CHARACTERS
from tests.helpers.journey import PASSPHRASE
from tests.helpers.pages import check_page
from tests.integration.reports.support import MIN_GROUP, QUESTIONNAIRE, SUBMITTED_ON, staff_member
from tests.integration.reports.test_themes import answers

SLUG = "hostile-names"
BASE = f"/staff/surveys/{SLUG}"
LINK = '=HYPERLINK("http://attacker.example/","Open")'


def themed_survey(app: Flask, title: str) -> str:
    """A closed survey titled ``title`` with comments, analysed and its review unlocked: the
    draft release's id."""
    with app.app_context():
        questionnaire = get_questionnaires()[QUESTIONNAIRE]
        info = surveys.create_survey(
            get_db(),
            questionnaire,
            title=title,
            access="open",
            min_group=MIN_GROUP,
            key_label="Lead analyst",
            passphrase=PASSPHRASE,
            log2_n=app.config["SURVEY_SCRYPT_LOG2_N"],
            slug=SLUG,
        )
        info = surveys.open_survey(get_db(), SLUG)
        for index in range(48):
            submit_response(get_db(), info, questionnaire, answers(index), today=SUBMITTED_ON)
        surveys.close_survey(get_db(), SLUG)
        store = get_unlock_store()
        return analysis.run_analysis(
            get_db(),
            get_keyring(),
            questionnaire,
            SLUG,
            PASSPHRASE,
            actor="test",
            theme_options=get_theme_options(),
            unlocked=lambda release, key: store.put(release, key, 3600),
        )


def theme_ids(client) -> list[str]:  # type: ignore[no-untyped-def]
    page = check_page(client.get(f"{BASE}/themes/comments"))
    found = [str(i["value"]) for i in page.select("form input[name=theme]")]
    return list(dict.fromkeys(found))[:2]  # each theme has several forms


def rename(client, release: str, theme: str, label: str):  # type: ignore[no-untyped-def]
    page = check_page(client.get(f"{BASE}/themes/comments"))
    token = str(page.select("main form[method=post] input[name=csrf_token]")[0]["value"])
    data = {"action": "rename", "theme": theme, "label": label, "field": f"label-{theme}"}
    return client.post(
        f"{BASE}/themes/comments", data={**data, "csrf_token": token, "release": release}
    )


def test_a_theme_name_with_control_characters_is_refused(sample_app: Flask) -> None:
    release = themed_survey(sample_app, "Staff survey")
    client, _staff = staff_member(sample_app, "analyst", assigned_to=SLUG)
    theme = theme_ids(client)[0]
    for label in ["Work\tload", "Workload \u202edaolkroW", "Work\u200bload", "Work\x1bload"]:
        page = check_page(rename(client, release, theme, label), 400)
        assert page.title.startswith("Error: ")
        assert page.error_messages() == [THEME_NAME_CONTROL_CHARACTERS]
        assert page.one(".cd-error-summary a")["href"] == f"#label-{theme}"
    result = sample_app.test_cli_runner().invoke(
        args=[
            *("themes", "rename", "--survey", SLUG, "--question", "comments"),
            *("--theme", theme, "--label", "Work\u202eload"),
        ]
    )
    assert result.exit_code != 0
    assert THEME_NAME_CONTROL_CHARACTERS in result.output
    # Nothing was renamed; an ordinary name still is.
    assert rename(client, release, theme, "Workload").status_code == 303


def test_formula_names_are_downloaded_as_text(sample_app: Flask) -> None:
    release = themed_survey(sample_app, LINK)
    client, _staff = staff_member(sample_app, "analyst", assigned_to=SLUG)
    first, second = theme_ids(client)
    assert first != second
    assert rename(client, release, first, LINK).status_code == 303
    assert rename(client, release, second, "#N/A").status_code == 303
    report = check_page(client.get(f"{BASE}/report/comments"))
    assert LINK in report.text()  # shown as typed, as text

    response = client.get(f"{BASE}/report/download/xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type not in ("f", "e"), f"{sheet.title}!{cell.coordinate}"
                if isinstance(cell.value, str):
                    assert cell.data_type == "s"
                    texts.append(cell.value)
    assert book.worksheets[0]["A1"].value == f"'{LINK}: results"
    assert f"'{LINK}" in texts  # the notes' survey row and the renamed theme
    assert "#N/A" in texts
    assert not any(text.startswith(("=", "+", "-", "@")) for text in texts)

    table = client.get(f"{BASE}/report/download/csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(table.lstrip("\ufeff"))))
    assert not any(value.startswith(("=", "+", "-", "@")) for row in rows for value in row)
