"""The report pages: who sees what, and that every figure shown is the release's own."""

from __future__ import annotations

import csv
import dataclasses
import io
from urllib.parse import quote

import pytest
from bs4 import Tag
from flask import Flask

from analysis.report import is_published, published_views, view_key
from survey_app.extensions import get_db, get_keyring, get_unlock_store
from survey_app.services import analysis, review, surveys
from tests.helpers.journey import PASSPHRASE, create_survey
from tests.helpers.pages import Page, check_page
from tests.helpers.runs import wait_for_run
from tests.integration.reports.support import (
    HTML_LABEL,
    QUESTIONNAIRE,
    SLUG,
    VIEWS,
    Built,
    cell_figures,
    check_figure_table,
    check_respondent_table,
    closed_survey,
    population_of,
    publish,
    release_of,
    staff_member,
    stored_protection,
)
from tests.integration.staff.support import events, form_token

OVERVIEW = f"/staff/surveys/{SLUG}/report"
QUESTIONS = ("witnessed", "views", "support")
HIDDEN_NOTE = "c: hidden to protect small groups; see how figures are protected."
PROTECTION = f"{OVERVIEW}/protection"


def question_url(question: str, view: str | None = None) -> str:
    return f"{OVERVIEW}/{question}" + ("" if view is None else f"?view={quote(view, safe='')}")


def test_an_assigned_analyst_sees_the_draft_and_can_publish_it(
    sample_app: Flask, built: Built
) -> None:
    client, staff = staff_member(sample_app, "analyst", assigned_to=SLUG)
    page = check_page(client.get(OVERVIEW))
    assert page.h1 == "Results"
    assert page.one("#release-status").get_text(strip=True) == "Draft, not published"
    assert page.one("#release-responses").get_text(strip=True) == "40"
    assert page.one("#release-k").get_text(strip=True) == "5 people"
    assert page.one("#release-k-cell").get_text(strip=True) == "3 people"
    assert (
        page.one(".cd-warning-text")
        .get_text(" ", strip=True)
        .startswith("! Warning This is a draft")
    )
    publish_url = page.one("#publish-form a")["href"]
    assert publish_url == f"/staff/surveys/{SLUG}/publish?release={built.release_id}"
    links = [a["href"] for a in page.select("#questions > li > a")]
    assert links == [question_url(q) for q in (*QUESTIONS, "comments")]
    # The review is locked: the page cannot list what is unreviewed, so it asks to unlock.
    assert check_page(client.get(publish_url)).h1 == "Unlock the theme review before you publish"
    _unlock(sample_app)
    form_page = check_page(client.get(publish_url))
    assert form_page.h1 == "Publish the report"
    assert form_page.one("main form input[name=release]")["value"] == built.release_id
    response = client.post(
        f"/staff/surveys/{SLUG}/publish",
        data={
            "csrf_token": form_token(form_page),
            "release": built.release_id,
            "review": str(form_page.one("main form input[name=review]")["value"]),
            "confirm": "yes",
            "passphrase": PASSPHRASE,
        },
    )
    assert response.status_code == 303
    assert wait_for_run(client, response.headers["Location"]) == "The report is published"
    page = check_page(client.get(f"{OVERVIEW}?done=published"))
    assert "The report is published" in page.one(".cd-notification-banner").get_text()
    assert page.one("#release-status").get_text(strip=True) == "Published"
    assert not page.select("#publish-form")
    assert [
        (e.actor, e.survey_slug, e.detail) for e in events(sample_app, "release_published")
    ] == [(staff.email, SLUG, f"release {built.release_id}")]


def test_admins_see_the_draft_too(sample_app: Flask, built: Built) -> None:
    client, _staff = staff_member(sample_app, "admin")
    page = check_page(client.get(OVERVIEW))
    assert page.select("#publish-form")


def test_viewers_see_only_published_reports(sample_app: Flask, built: Built) -> None:
    viewer, _staff = staff_member(sample_app, "viewer")
    other_analyst, _other = staff_member(sample_app, "analyst")
    for client in (viewer, other_analyst):
        check_page(client.get(OVERVIEW), 404)
        check_page(client.get(question_url("witnessed")), 404)
        assert client.get(f"{OVERVIEW}/download/csv").status_code == 404
    page = check_page(viewer.get("/staff/releases"))
    assert not page.select("#releases")
    publish(sample_app)
    page = check_page(viewer.get("/staff/releases"))
    assert [a["href"] for a in page.select("#releases a")] == [OVERVIEW]
    for client in (viewer, other_analyst):
        page = check_page(client.get(OVERVIEW))
        assert page.one("#release-status").get_text(strip=True) == "Published"
        assert not page.select("#publish-form")
        check_page(client.get(question_url("witnessed", "council")))


def _unlock(app: Flask) -> None:
    with app.app_context():
        review.unlock_review(get_db(), get_unlock_store(), SLUG, PASSPHRASE)


def test_only_workers_can_publish(sample_app: Flask, built: Built) -> None:
    client, _staff = staff_member(sample_app, "admin")
    _unlock(sample_app)
    token = form_token(
        check_page(client.get(f"/staff/surveys/{SLUG}/publish?release={built.release_id}"))
    )
    viewer, _viewer = staff_member(sample_app, "viewer")
    publish(sample_app)  # so the viewer can open a page with a token of its own
    viewer_token = str(
        check_page(viewer.get(OVERVIEW)).one("form[method=post] input[name=csrf_token]")["value"]
    )
    response = viewer.post(
        f"/staff/surveys/{SLUG}/publish",
        data={"csrf_token": viewer_token, "release": built.release_id, "passphrase": PASSPHRASE},
    )
    assert response.status_code == 403
    response = client.post(
        f"/staff/surveys/{SLUG}/publish",
        data={"csrf_token": token, "release": "0" * 32, "passphrase": PASSPHRASE},
    )
    assert response.status_code == 404


def published_keys(app: Flask) -> list[str]:
    """The views the stored release publishes, as written in addresses."""
    return [view_key(v) for v in published_views(release_of(app).protected)]


def check_hidden_note(page: Page) -> None:
    """A page that shows a c says what it means, once, linking to how figures are protected;
    a page that shows none does not."""
    texts = [c.get_text(strip=True) for c in page.select("main td")]
    shows_c = any(text == "c" or text.endswith("(c)") for text in texts)
    notes = page.select("#hidden-footnote")
    assert len(notes) == int(shows_c)
    if shows_c:
        assert " ".join(notes[0].get_text().split()) == HIDDEN_NOTE
        assert notes[0].select_one("a")["href"] == PROTECTION


def test_every_figure_on_every_page_is_the_releases_own(sample_app: Flask, built: Built) -> None:
    client, _staff = staff_member(sample_app, "admin")
    release = release_of(sample_app).protected
    views = published_keys(sample_app)
    assert views[0] == "overall" and set(views) <= set(VIEWS)
    page = check_page(client.get(OVERVIEW))
    tables = page.select("main table")
    assert [t["data-view"] for t in tables] == [v for v in views if "+" not in v][1:]
    seen = sum(check_respondent_table(t, release) for t in tables)
    check_hidden_note(page)
    hidden = shown = 0
    for question in QUESTIONS:
        for view in views:
            page = check_page(client.get(question_url(question, view)))
            tables = page.select("main table")
            assert all(t["data-view"] == view for t in tables)
            published = [
                t for t in tables if release.publishes(str(t["data-item"]), tuple(view.split("+")))
            ]
            assert len(published) == len(tables)
            seen += sum(check_figure_table(t, release) for t in tables)
            texts = [c.get_text(strip=True) for t in tables for c in t.select("td")]
            hidden += texts.count("c")
            shown += sum(1 for t in texts if t != "c")
            check_hidden_note(page)
    assert seen > 300 and shown > 50


def bar_width(cell: Tag) -> str | None:
    rect = cell.select_one("svg rect")
    return None if rect is None else str(rect["width"])


def test_charts_draw_exactly_the_published_percentages(sample_app: Flask, built: Built) -> None:
    client, _staff = staff_member(sample_app, "admin")
    release = release_of(sample_app).protected
    bars = 0
    for view in published_keys(sample_app):
        page = check_page(client.get(question_url("witnessed", view)))
        if not page.select("main table"):  # not published by this view: one sentence
            assert page.one("#not-published").get_text(strip=True).startswith("There are too")
            continue
        table = page.one("main table")
        if view == "overall":
            # Everyone's answers: one row each, the table its own chart.
            assert not page.select("main .cd-chart")
            for cell in table.select("td[data-measure=percent]"):
                width = bar_width(cell)
                text = cell.get_text(strip=True)
                if cell["data-column"] == "Total":
                    assert width is None
                    continue
                assert cell.select_one("svg")["viewbox"] == "0 0 100 10"
                assert width == (None if text == "c" else text[:-1])
                bars += 1
            continue
        if "+" in view:  # a two-way view is a table only: a chart of every pair is unreadable
            assert not page.select("main .cd-chart")
            continue
        chart = page.one("main .cd-chart")
        assert chart["role"] == "img"
        title_id, desc_id = str(chart["aria-labelledby"]).split()
        assert chart.select_one(f"#{title_id}").get_text(strip=True)
        assert "percentage" in chart.select_one(f"#{desc_id}").get_text()
        published = {
            (row["data-population"], cell["data-column"]): cell_figures(cell)["percent"]
            for row in table.select("tbody tr")
            for cell in row.select("td[data-measure='count percent']")
        }
        groups = chart.select(".cd-chart__group")
        named = chart.select(".cd-chart__hidden [data-population]")
        rows = [r for r in table.select("tbody tr") if r["data-kind"] != "margin"]
        assert sorted(g["data-population"] for g in [*groups, *named]) == sorted(
            r["data-population"] for r in rows
        )
        for name in named:  # every percentage hidden: named in one line, not rows of c
            population = name["data-population"]
            assert release.size(population_of(name)) != 0
            assert all(
                share is None for (pop, _code), share in published.items() if pop == population
            )
        for group in groups:
            population = group["data-population"]
            percents = [share for (pop, _code), share in published.items() if pop == population]
            drawn = group.select(".cd-chart__bar")
            if release.size(population_of(group)) == 0:
                assert not drawn and "No one in this group" in group.get_text()
                continue
            assert any(share is not None for share in percents)
            assert len(drawn) == len(percents)
            for bar in drawn:
                share = published[(population, bar["data-column"])]
                text = bar.select_one(".cd-chart__value").get_text(strip=True)
                assert text == ("c" if share is None else f"{share}%")
                assert bar_width(bar) == (None if share is None else str(share))
                bars += 1
    assert bars > 0


def test_the_view_selector_lists_only_published_views(sample_app: Flask, built: Built) -> None:
    client, _staff = staff_member(sample_app, "admin")
    views = published_keys(sample_app)
    page = check_page(client.get(question_url("witnessed")))
    form = page.one("#view-selector")
    assert form.get("method") == "get"
    radios = form.select("input[type=radio][name=view]")
    assert [r["value"] for r in radios] == views
    assert [r["value"] for r in radios if r.has_attr("checked")] == ["overall"]
    labels = [page.one(f"label[for={r['id']}]").get_text(strip=True) for r in radios]
    names = {
        "overall": "Overall",
        "council": "By council",
        "ethnic_group": "By ethnic group",
        "council+ethnic_group": "By council and ethnic group",
    }
    assert labels == [names[v] for v in views]
    page = check_page(client.get(question_url("witnessed", views[-1])))
    checked = page.select("#view-selector input[checked]")
    assert [r["value"] for r in checked] == [views[-1]]


def test_a_view_that_was_not_published_says_so_in_one_sentence(
    sample_app: Flask, built: Built
) -> None:
    """A release that does not publish the two-way view (stored as the engine would store
    it): no radio offers it, and its address gives one sentence, not a page of c."""
    release = release_of(sample_app)
    whole = stored_protection(sample_app, release.id)
    fewer = dataclasses.replace(whole, views=tuple(v for v in whole.views if len(v) < 2))
    with sample_app.app_context():
        survey = surveys.get_survey(get_db(), SLUG)
        analysis.store_release(
            get_db(), get_keyring(), survey.id, fewer, list(release.views), actor="test"
        )
    client, _staff = staff_member(sample_app, "admin")
    page = check_page(client.get(question_url("witnessed")))
    radios = page.select("#view-selector input[name=view]")
    assert [r["value"] for r in radios] == ["overall", "council", "ethnic_group"]
    hint = page.one("#view-hint").get_text(strip=True)
    assert hint == "There are too few responses to show results by council and ethnic group."
    for question in ("witnessed", "views"):
        page = check_page(client.get(question_url(question, "council+ethnic_group")))
        assert not page.select("main table") and not page.select("main .cd-chart")
        assert page.one("#not-published").get_text(strip=True) == (
            "There are too few responses to show this question by council and ethnic group."
        )
        assert not [c for c in page.select("main td") if c.get_text(strip=True) == "c"]
    overview = check_page(client.get(OVERVIEW))
    assert overview.one("#unpublished-views").get_text(strip=True) == (
        "There are too few responses to show results by council and ethnic group."
    )
    # The downloads never carry it, even when asked for.
    response = client.get(f"{OVERVIEW}/download/csv?view=council%2Bethnic_group")
    assert response.status_code == 404
    content = client.get(f"{OVERVIEW}/download/csv").get_data().decode("utf-8-sig")
    views = {row["view"] for row in csv.DictReader(io.StringIO(content, newline=""))}
    assert views == {"Overall", "By council", "By ethnic group"}


@pytest.mark.parametrize(
    "view",
    [
        "ethnic_group+council",
        "council+council",
        "witnessed",
        "support",
        "council+ethnic_group+council",
        "Overall",
        "../overall",
        "overall ",
        "council%00",
        "x" * 3000,
    ],
)
def test_a_crafted_view_is_not_found(sample_app: Flask, built: Built, view: str) -> None:
    client, _staff = staff_member(sample_app, "admin")
    check_page(client.get(question_url("witnessed", view)), 404)


@pytest.mark.parametrize(
    "question", ["council", "ethnic_group", "nope", "views__valued", "x" * 500]
)
def test_an_unknown_question_is_not_found(sample_app: Flask, built: Built, question: str) -> None:
    client, _staff = staff_member(sample_app, "admin")
    check_page(client.get(question_url(question)), 404)
    check_page(client.get(f"/staff/surveys/no-such-survey/report/{question}"), 404)


def test_free_text_questions_show_their_themes_and_no_comment(
    sample_app: Flask, built: Built
) -> None:
    client, _staff = staff_member(sample_app, "admin")
    page = check_page(client.get(question_url("comments")))
    assert page.one("#themes-heading").get_text(strip=True) == "Themes"
    release = release_of(sample_app)
    assert [t["data-item"] for t in page.select("main table")] == ["comments__themes"]
    for table in page.select("main table"):
        check_figure_table(table, release.protected)
    # No quote has been approved, so no comment is shown, whole or in part.
    assert not page.select(".cd-quote")
    for index in range(0, 40, 4):
        assert f"Comment number {index}" not in page.text()


def test_grid_statements_and_multiple_choice_notes(sample_app: Flask, built: Built) -> None:
    client, _staff = staff_member(sample_app, "admin")
    page = check_page(client.get(question_url("views", "council")))
    assert [h.get_text(strip=True) for h in page.select("main section h2")] == [
        "My manager listens to me",
        "I feel valued at work",
    ]
    assert [s["id"] for s in page.select("main section")] == [
        "item-views__listened",
        "item-views__valued",
    ]
    assert [t["data-item"] for t in page.select("main table")] == [
        "views__listened",
        "views__valued",
    ]
    assert len(page.select("main .cd-chart[role=img]")) == 2
    assert "more than one answer" not in page.text()
    page = check_page(client.get(question_url("support")))
    assert "percentages do not add up to 100" in page.text()


def test_questions_and_statements_are_listed_by_their_own_names(
    sample_app: Flask, built: Built
) -> None:
    client, _staff = staff_member(sample_app, "admin")
    page = check_page(client.get(OVERVIEW))
    questions = [a.get_text(strip=True) for a in page.select("#questions > li > a")]
    assert questions == [
        "In the last year, have you seen racism at work?",
        "How far do you agree with each statement?",
        "Who would you go to for support?",
        "Is there anything else you want to tell us?",
    ]
    statements = page.select("#questions .cd-report-statements a")
    assert [(a.get_text(strip=True), a["href"]) for a in statements] == [
        ("My manager listens to me", f"{question_url('views')}#item-views__listened"),
        ("I feel valued at work", f"{question_url('views')}#item-views__valued"),
    ]
    every = [a.get_text(strip=True) for a in page.select("#questions a")]
    assert len(set(every)) == len(every)


def test_wide_tables_scroll_in_a_named_focusable_region(sample_app: Flask, built: Built) -> None:
    client, _staff = staff_member(sample_app, "admin")
    for url in (OVERVIEW, question_url("views", "council")):
        page = check_page(client.get(url))
        tables = page.select("main table")
        assert tables
        for table in tables:
            region = table.parent
            assert region is not None and "cd-table-container" in region["class"]
            assert region["role"] == "region" and region["tabindex"] == "0"
            caption = page.one(f"#{region['aria-labelledby']}")
            assert caption.name == "caption" and caption.find_parent("table") is table


def test_the_page_on_how_figures_are_protected(sample_app: Flask, built: Built) -> None:
    client, _staff = staff_member(sample_app, "admin")
    page = check_page(client.get(PROTECTION))
    assert page.h1 == "How figures are protected"
    rules = [li.get_text(" ", strip=True) for li in page.select("#protection-rules li")]
    assert rules[0] == "A group of fewer than 5 people is hidden: its size and all its answers."
    assert rules[1].startswith("An answer given by fewer than 3 people in a group is hidden,")
    assert "sometimes zeros" in rules[3] and "who was asked which question" in rules[3]
    assert "not shown at all" in page.one("#protection-order").get_text()
    viewer, _viewer = staff_member(sample_app, "viewer")
    check_page(viewer.get(PROTECTION), 404)  # nothing published yet
    publish(sample_app)
    check_page(viewer.get(PROTECTION))
    check_page(client.get("/staff/surveys/no-such-survey/report/protection"), 404)


def test_group_labels_with_html_show_as_text(sample_app: Flask, built: Built) -> None:
    client, _staff = staff_member(sample_app, "admin")
    for url in (OVERVIEW, question_url("witnessed", "council")):
        response = client.get(url)
        page = check_page(response)
        labels = [th.get_text(strip=True) for th in page.select("main tbody th")]
        assert HTML_LABEL in labels
        assert not page.select("main b")
        assert "&lt;b&gt;East&lt;/b&gt; &amp; Fens Council" in response.get_data(as_text=True)


def test_no_release_yet_is_a_clear_empty_state(sample_app: Flask) -> None:
    closed_survey(sample_app, analyse=False)
    client, _staff = staff_member(sample_app, "admin")
    page = check_page(client.get(OVERVIEW))
    assert "There are no results for this survey yet" in page.one("#report-empty").get_text()
    assert not page.select("main table") and not page.select("#downloads")
    check_page(client.get(question_url("witnessed")), 404)
    assert client.get(f"{OVERVIEW}/download/csv").status_code == 404
    viewer, _viewer = staff_member(sample_app, "viewer")
    check_page(viewer.get(OVERVIEW), 404)


def test_a_survey_nobody_answered_says_so(sample_app: Flask) -> None:
    closed_survey(sample_app, count=0)
    client, _staff = staff_member(sample_app, "admin")
    page = check_page(client.get(OVERVIEW))
    assert "Nobody answered this survey" in page.one("#report-empty").get_text()
    assert page.one("#release-responses").get_text(strip=True) == "0"
    assert not page.select("main table") and not page.select("#downloads")


def test_too_few_responses_show_only_the_count(sample_app: Flask) -> None:
    closed_survey(sample_app, count=4)
    client, _staff = staff_member(sample_app, "admin")
    page = check_page(client.get(OVERVIEW))
    assert "Fewer than 5 people answered" in page.one("#report-empty").get_text()
    assert page.one("#release-responses").get_text(strip=True) == "4"
    assert not page.select("main table") and not page.select("#questions")
    # A question page, if someone types its address, has nothing but c and the count, or
    # one sentence where the release publishes no table at all.
    release = release_of(sample_app).protected
    for view in ("overall", "council"):
        page = check_page(client.get(question_url("witnessed", view)))
        shown = [c.get_text(strip=True) for c in page.select("main td")]
        shown = [text for text in shown if text != "c"]
        if is_published(release, "witnessed", () if view == "overall" else (view,)):
            assert shown == (["4", "100%"] if view == "overall" else ["4"])
            continue
        assert not page.select("main table") and not shown
        by = "" if view == "overall" else f" by {view}"
        assert page.one("#not-published").get_text(strip=True) == (
            f"There are too few responses to show this question{by}."
        )


def test_while_a_survey_is_open_no_report_is_reachable(sample_app: Flask) -> None:
    create_survey(sample_app, QUESTIONNAIRE, slug=SLUG)
    client, _staff = staff_member(sample_app, "admin")
    page = check_page(client.get(OVERVIEW))
    assert "This survey is still open" in page.one("#report-empty").get_text()
    assert not page.select("main table") and not page.select("#publish-form")
    check_page(client.get(question_url("witnessed")), 404)
    assert client.get(f"{OVERVIEW}/download/csv").status_code == 404
    viewer, _viewer = staff_member(sample_app, "viewer")
    check_page(viewer.get(OVERVIEW), 404)
    with sample_app.app_context():
        assert surveys.get_survey(get_db(), SLUG).status == "open"


def test_report_pages_need_sign_in(sample_app: Flask, built: Built) -> None:
    client = sample_app.test_client()
    for url in (OVERVIEW, question_url("witnessed"), f"{OVERVIEW}/download/csv"):
        response = client.get(url)
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/staff/login")
