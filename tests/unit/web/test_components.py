"""The layout, the Jinja components and the error pages, rendered in a throwaway Flask app.

These tests need no application factory: they build a tiny app that points at the real
templates and static folder and registers a stand-in ``respond`` blueprint so ``url_for``
works. Elements are selected with CSS selectors on the parsed page, never by substring.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from flask import Blueprint, Flask, render_template

from survey_app.web import SiteLinks
from survey_app.web.presenting import picked

WEB = Path(__file__).resolve().parents[3] / "survey_app" / "web"
TEMPLATES = WEB / "templates"
STATIC = WEB / "static"
EVIL = '<script>alert("x")</script>'
ERROR_PAGES = [
    "errors/400.html",
    "errors/404.html",
    "errors/405.html",
    "errors/413.html",
    "errors/429.html",
    "errors/500.html",
    "errors/csrf.html",
    "errors/cookies.html",
    "closed.html",
]


@dataclass(frozen=True)
class Opt:
    value: str
    label: str
    hint: str | None = None
    exclusive: bool = False


@dataclass(frozen=True)
class Stmt:
    id: str
    text: str


@dataclass(frozen=True)
class Problem:
    href: str
    message: str


AGREE = [Opt("agree", "Agree"), Opt("neutral", "Neither"), Opt("disagree", "Disagree")]


@pytest.fixture
def component_app() -> Iterator[Flask]:
    app = Flask(__name__, template_folder=str(TEMPLATES), static_folder=str(STATIC))
    respond = Blueprint("respond", __name__)
    for endpoint in ("landing", "exit_page", "privacy", "accessibility", "cookies"):
        respond.add_url_rule(f"/{endpoint.replace('_', '-')}", endpoint, lambda: "")
    app.register_blueprint(respond)
    app.add_template_filter(picked, "picked")  # as register_web does
    app.jinja_env.globals["site"] = SiteLinks()
    with app.test_request_context():
        yield app


def render_macro(app: Flask, macro: str, call: str, **context: Any) -> BeautifulSoup:
    source = f'{{% from "macros/components.html" import {macro} %}}{{{{ {call} }}}}'
    html = app.jinja_env.from_string(source).render(**context)
    return BeautifulSoup(html, "html.parser")


def render_page(app: Flask, source: str, **context: Any) -> BeautifulSoup:
    return BeautifulSoup(app.jinja_env.from_string(source).render(**context), "html.parser")


def one(soup: BeautifulSoup | Tag, selector: str) -> Tag:
    found = soup.select(selector)
    assert len(found) == 1, f"expected one {selector!r}, found {len(found)}"
    return found[0]


def described_by(tag: Tag) -> list[str]:
    value = tag.get("aria-describedby")
    return str(value).split() if value else []


def assert_describedby_targets_exist(soup: BeautifulSoup) -> None:
    for tag in soup.select("[aria-describedby]"):
        for target in described_by(tag):
            assert soup.find(id=target) is not None, f"aria-describedby points at missing #{target}"


def assert_labels_match_inputs(soup: BeautifulSoup) -> None:
    for label in soup.select("label"):
        assert soup.find(id=label["for"]) is not None, f"label for missing #{label['for']}"
    for field in soup.select("input, textarea"):
        assert soup.select(f'label[for="{field["id"]}"]'), f"#{field['id']} has no label"


def assert_error_message(soup: BeautifulSoup, error_id: str, text: str) -> None:
    message = one(soup, f"#{error_id}")
    assert message.name == "p"
    assert "cd-error-message" in message["class"]
    hidden = one(message, ".cd-visually-hidden")
    assert hidden.get_text() == "Error:"
    assert message.get_text(" ", strip=True) == f"Error: {text}"


# ---- radios -------------------------------------------------------------------------------------


def test_radios_ids_labels_hints_and_error_are_wired(component_app: Flask) -> None:
    options = [Opt("a", "Apple", hint="A fruit"), Opt("b", "Bean"), Opt("c", "Carrot")]
    soup = render_macro(
        component_app,
        "radios",
        'radios("food", "What do you eat?", options, selected="b", hint="Pick one",'
        ' error="Select what you eat")',
        options=options,
    )
    inputs = soup.select("input.cd-radios__input")
    assert [i["id"] for i in inputs] == ["food", "food-2", "food-3"]
    assert {i["name"] for i in inputs} == {"food"}
    assert [i["type"] for i in inputs] == ["radio"] * 3
    assert [i.has_attr("checked") for i in inputs] == [False, True, False]
    assert [label["for"] for label in soup.select("label")] == ["food", "food-2", "food-3"]
    fieldset = one(soup, "fieldset")
    assert described_by(fieldset) == ["food-hint", "food-error"]
    assert one(soup, "#food-hint").get_text() == "Pick one"
    assert_error_message(soup, "food-error", "Select what you eat")
    assert "cd-form-group--error" in one(soup, ".cd-form-group")["class"]
    assert described_by(inputs[0]) == ["food-item-hint"]
    assert one(soup, "#food-item-hint").get_text() == "A fruit"
    assert not inputs[1].has_attr("aria-describedby")
    assert one(soup, "legend").get_text(strip=True) == "What do you eat?"
    assert not soup.select("legend h1")
    assert_describedby_targets_exist(soup)
    assert_labels_match_inputs(soup)


def test_radios_without_hint_or_error_have_no_describedby(component_app: Flask) -> None:
    soup = render_macro(component_app, "radios", 'radios("q", "Question", options)', options=AGREE)
    assert not one(soup, "fieldset").has_attr("aria-describedby")
    assert not soup.select(".cd-error-message, .cd-form-group--error, .cd-hint")
    assert not soup.select("input[checked]")


def test_radios_heading_prefix_inline_and_legend_class(component_app: Flask) -> None:
    soup = render_macro(
        component_app,
        "radios",
        'radios("q1", "Are you a manager?", options, id_prefix="manager", inline=True,'
        ' heading=True, legend_class="cd-fieldset__legend--l", hint="Hint", error="Select one")',
        options=AGREE,
    )
    assert one(soup, "legend > h1").get_text() == "Are you a manager?"
    assert "cd-fieldset__legend--l" in one(soup, "legend")["class"]
    assert "cd-radios--inline" in one(soup, ".cd-radios")["class"]
    assert [i["id"] for i in soup.select("input")] == ["manager", "manager-2", "manager-3"]
    assert {i["name"] for i in soup.select("input")} == {"q1"}
    assert described_by(one(soup, "fieldset")) == ["manager-hint", "manager-error"]
    assert_describedby_targets_exist(soup)


# ---- checkboxes ---------------------------------------------------------------------------------


def test_checkboxes_put_exclusive_options_after_an_or_divider(component_app: Flask) -> None:
    options = [
        Opt("none", "None of these", exclusive=True),
        Opt("x", "Colleagues"),
        Opt("y", "Managers", hint="Including senior leaders"),
        Opt("pnts", "Prefer not to say", exclusive=True),
    ]
    soup = render_macro(
        component_app,
        "checkboxes",
        'checkboxes("where", "Where?", options, selected=["y", "pnts"], hint="Select all that'
        ' apply", error="Select where")',
        options=options,
    )
    items = one(soup, ".cd-checkboxes").find_all("div", recursive=False)
    classes = [item["class"][0] for item in items]
    assert classes == [
        "cd-checkboxes__item",
        "cd-checkboxes__item",
        "cd-checkboxes__divider",
        "cd-checkboxes__item",
        "cd-checkboxes__item",
    ]
    assert items[2].get_text(strip=True) == "or"
    inputs = soup.select("input.cd-checkboxes__input")
    assert [i["value"] for i in inputs] == ["x", "y", "none", "pnts"]
    assert [i["id"] for i in inputs] == ["where", "where-2", "where-3", "where-4"]
    assert [i["type"] for i in inputs] == ["checkbox"] * 4
    assert [i.get("data-behaviour") for i in inputs] == [None, None, "exclusive", "exclusive"]
    assert [i.has_attr("checked") for i in inputs] == [False, True, False, True]
    assert described_by(one(soup, "fieldset")) == ["where-hint", "where-error"]
    assert_error_message(soup, "where-error", "Select where")
    assert described_by(inputs[1]) == ["where-2-item-hint"]
    assert_describedby_targets_exist(soup)
    assert_labels_match_inputs(soup)


def test_checkboxes_without_exclusive_options_have_no_divider(component_app: Flask) -> None:
    soup = render_macro(
        component_app, "checkboxes", 'checkboxes("c", "Pick", options)', options=AGREE
    )
    assert not soup.select(".cd-checkboxes__divider, [data-behaviour]")
    assert len(soup.select("input[type=checkbox]")) == 3


# ---- text and number ----------------------------------------------------------------------------


def test_textarea_character_hint_and_no_maxlength(component_app: Flask) -> None:
    soup = render_macro(
        component_app,
        "textarea",
        'textarea("more", "Anything else?", value=value, hint="Do not include names",'
        ' error="Your answer must be 1,500 characters or fewer", max_length=1500, rows=8)',
        value=EVIL,
    )
    field = one(soup, "textarea")
    assert field["id"] == field["name"] == "more"
    assert field["rows"] == "8"
    assert not field.has_attr("maxlength")
    assert "cd-textarea--error" in field["class"]
    assert described_by(field) == ["more-hint", "more-info", "more-error"]
    assert one(soup, "#more-info").get_text() == "You can enter up to 1,500 characters"
    assert one(soup, 'label[for="more"]').get_text() == "Anything else?"
    assert_error_message(soup, "more-error", "Your answer must be 1,500 characters or fewer")
    assert field.get_text() == EVIL
    assert not soup.select("script")
    assert_describedby_targets_exist(soup)


def test_textarea_plain(component_app: Flask) -> None:
    soup = render_macro(component_app, "textarea", 'textarea("t", "Tell us")')
    field = one(soup, "textarea")
    assert field.get_text() == ""
    assert field["rows"] == "5"
    assert not field.has_attr("aria-describedby")
    assert not soup.select(".cd-character-count__message")


def test_number_input_attributes_and_suffix(component_app: Flask) -> None:
    soup = render_macro(
        component_app,
        "number_input",
        'number_input("years", "How many years?", value="12", hint="Round it", suffix="years",'
        ' error="Enter a whole number")',
    )
    field = one(soup, "input")
    assert field["type"] == "text"
    assert field["inputmode"] == "numeric"
    assert field["spellcheck"] == "false"
    assert field["value"] == "12"
    assert {"cd-input", "cd-input--width-5", "cd-input--error"} <= set(field["class"])
    assert described_by(field) == ["years-hint", "years-suffix", "years-error"]
    assert one(soup, ".cd-input__suffix").get_text() == "years"
    assert_error_message(soup, "years-error", "Enter a whole number")
    assert_describedby_targets_exist(soup)
    assert_labels_match_inputs(soup)


def test_number_input_without_suffix(component_app: Flask) -> None:
    soup = render_macro(component_app, "number_input", 'number_input("n", "Number")')
    assert one(soup, "input")["value"] == ""
    assert not soup.select(".cd-input__suffix, .cd-input__wrapper")


# ---- likert grid --------------------------------------------------------------------------------


def test_likert_grid_names_ids_and_errors(component_app: Flask) -> None:
    statements = [Stmt("valued", "I feel valued"), Stmt("speak", "I can speak up")]
    soup = render_macro(
        component_app,
        "likert_grid",
        'likert_grid("q", "How much do you agree?", statements, options,'
        ' selected={"valued": "neutral"}, errors={"speak": "Select an answer"},'
        ' hint="One answer for each statement")',
        statements=statements,
        options=AGREE,
    )
    outer = soup.select("fieldset")[0]
    assert outer.find("legend").get_text(strip=True) == "How much do you agree?"
    assert described_by(outer) == ["q-hint"]
    nested = outer.select("fieldset.cd-grid-statement")
    assert [f.find("legend").get_text(strip=True) for f in nested] == [
        "I feel valued",
        "I can speak up",
    ]
    valued = nested[0].select("input")
    assert {i["name"] for i in valued} == {"q__valued"}
    assert [i["id"] for i in valued] == ["q__valued", "q__valued-2", "q__valued-3"]
    assert [i["value"] for i in valued if i.has_attr("checked")] == ["neutral"]
    speak = nested[1].select("input")
    assert {i["name"] for i in speak} == {"q__speak"}
    assert not [i for i in speak if i.has_attr("checked")]
    assert not nested[0].has_attr("aria-describedby")
    assert described_by(nested[1]) == ["q__speak-error"]
    assert_error_message(soup, "q__speak-error", "Select an answer")
    assert_describedby_targets_exist(soup)
    assert_labels_match_inputs(soup)


# ---- error summary, buttons, links --------------------------------------------------------------


def test_error_summary_links_each_message(component_app: Flask) -> None:
    errors = [Problem("#food", "Select what you eat"), {"href": "#more", "message": EVIL}]
    soup = render_macro(component_app, "error_summary", "error_summary(errors)", errors=errors)
    summary = one(soup, ".cd-error-summary")
    assert summary["role"] == "alert"
    assert summary["tabindex"] == "-1"
    assert summary["data-module"] == "error-summary"
    assert one(summary, "h2").get_text() == "There is a problem"
    links = summary.select("li a")
    assert [(a["href"], a.get_text()) for a in links] == [
        ("#food", "Select what you eat"),
        ("#more", EVIL),
    ]
    assert not soup.select("script")


@pytest.mark.parametrize("errors", [[], None, ()])
def test_error_summary_renders_nothing_without_errors(
    component_app: Flask, errors: list[Problem] | None
) -> None:
    source = '{% from "macros/components.html" import error_summary %}{{ error_summary(errors) }}'
    assert component_app.jinja_env.from_string(source).render(errors=errors).strip() == ""


@pytest.mark.parametrize("variant", [None, "secondary", "warning", "start"])
def test_button_variants(component_app: Flask, variant: str | None) -> None:
    soup = render_macro(
        component_app,
        "button",
        'button("Continue", name="action", value="next", variant=variant)',
        variant=variant,
    )
    button = one(soup, "button")
    assert button["type"] == "submit"
    assert button["name"] == "action"
    assert button["value"] == "next"
    assert button.get_text(strip=True) == "Continue"
    expected = {"cd-button"} | ({f"cd-button--{variant}"} if variant else set())
    assert set(button["class"]) == expected
    icons = button.select("svg")
    if variant == "start":
        assert len(icons) == 1
        assert icons[0]["aria-hidden"] == "true"
        assert icons[0]["focusable"] == "false"
    else:
        assert not icons


def test_plain_button_has_no_name_or_value(component_app: Flask) -> None:
    button = one(render_macro(component_app, "button", 'button("Send")'), "button")
    assert not button.has_attr("name")
    assert not button.has_attr("value")


def test_link_button_and_back_link(component_app: Flask) -> None:
    soup = render_macro(
        component_app, "link_button", 'link_button("Start now", "/s/1", variant="start")'
    )
    link = one(soup, "a")
    assert link["href"] == "/s/1"
    assert link["role"] == "button"
    assert link["draggable"] == "false"
    assert {"cd-button", "cd-button--start"} <= set(link["class"])
    assert link.get_text(strip=True) == "Start now"
    assert one(link, "svg")["aria-hidden"] == "true"

    back = one(render_macro(component_app, "back_link", 'back_link("/prev")'), "a")
    assert (back["href"], back.get_text(), back["class"]) == ("/prev", "Back", ["cd-back-link"])
    other = one(render_macro(component_app, "back_link", 'back_link("/x", text="Go back")'), "a")
    assert other.get_text() == "Go back"


# ---- content components -------------------------------------------------------------------------


def test_summary_list_rows(component_app: Flask) -> None:
    rows = [
        {"key": "Your role", "lines": ["Manager"], "href": "/change/role", "hidden": "your role"},
        {"key": "Where", "lines": ["Colleagues", EVIL], "href": "/change/where", "hidden": "where"},
        {"key": "Anything else", "lines": [], "href": None, "hidden": "anything else"},
    ]
    soup = render_macro(component_app, "summary_list", "summary_list(rows)", rows=rows)
    found = soup.select(".cd-summary-list__row")
    assert [one(r, "dt").get_text() for r in found] == ["Your role", "Where", "Anything else"]
    values = [one(r, ".cd-summary-list__value") for r in found]
    assert values[0].get_text(strip=True) == "Manager"
    assert [p.get_text() for p in values[1].select("p")] == ["Colleagues", EVIL]
    assert values[2].get_text(strip=True) == "Not answered"
    change = one(found[0], ".cd-summary-list__actions a")
    assert change["href"] == "/change/role"
    assert change.get_text() == "Change your role"
    assert one(change, ".cd-visually-hidden").get_text() == " your role"
    assert not found[2].select(".cd-summary-list__actions, a")
    assert not soup.select("script")


def test_panel_inset_warning_banner_and_paragraphs(component_app: Flask) -> None:
    panel = render_macro(component_app, "panel", 'panel("Answers sent", "Thank you")')
    assert one(panel, ".cd-panel.cd-panel--confirmation h1").get_text() == "Answers sent"
    assert one(panel, ".cd-panel__body").get_text() == "Thank you"
    assert not render_macro(component_app, "panel", 'panel("Done")').select(".cd-panel__body")

    inset = render_macro(component_app, "inset_text", "inset_text(t)", t=EVIL)
    assert one(inset, ".cd-inset-text").get_text() == EVIL

    warning = render_macro(component_app, "warning_text", 'warning_text("Use a private device")')
    assert one(warning, ".cd-warning-text__icon")["aria-hidden"] == "true"
    assert one(warning, ".cd-warning-text__icon").get_text() == "!"
    assert one(warning, "strong .cd-visually-hidden").get_text() == "Warning"
    assert one(warning, "strong").get_text() == "Warning Use a private device"

    banner = render_macro(
        component_app, "notification_banner", 'notification_banner("Important", "Closes Friday")'
    )
    region = one(banner, ".cd-notification-banner")
    assert region["role"] == "region"
    assert one(region, "h2").get_text() == "Important"
    assert one(region, ".cd-notification-banner__heading").get_text() == "Closes Friday"

    paras = render_macro(component_app, "paragraphs", "paragraphs(texts)", texts=["One", EVIL])
    assert [(p["class"], p.get_text()) for p in paras.select("p")] == [
        (["cd-body"], "One"),
        (["cd-body"], EVIL),
    ]
    assert not paras.select("script")


def test_everything_user_supplied_is_escaped(component_app: Flask) -> None:
    options = [Opt(EVIL, EVIL, hint=EVIL, exclusive=False), Opt("x", "X", exclusive=True)]
    soup = render_macro(
        component_app,
        "radios",
        "radios(name, evil, options, selected=evil, hint=evil, error=evil)",
        name="q",
        evil=EVIL,
        options=options,
    )
    assert not soup.select("script")
    radio = soup.select("input")[0]
    assert radio["value"] == EVIL
    assert radio.has_attr("checked")
    assert one(soup, "legend").get_text(strip=True) == EVIL
    assert one(soup, 'label[for="q"]').get_text() == EVIL
    assert one(soup, "#q-item-hint").get_text() == EVIL
    assert one(soup, "#q-hint").get_text() == EVIL
    boxes = render_macro(
        component_app,
        "checkboxes",
        "checkboxes('c', evil, options, selected=[evil], hint=evil, error=evil)",
        evil=EVIL,
        options=options,
    )
    assert not boxes.select("script")
    assert boxes.select("input")[0]["value"] == EVIL
    number = render_macro(
        component_app, "number_input", "number_input('n', evil, value=evil)", evil=EVIL
    )
    assert not number.select("script")
    assert one(number, "input")["value"] == EVIL
    grid = render_macro(
        component_app,
        "likert_grid",
        "likert_grid('g', evil, [stmt], options, errors={'s': evil}, hint=evil)",
        evil=EVIL,
        stmt=Stmt("s", EVIL),
        options=options,
    )
    assert not grid.select("script")
    assert one(grid, ".cd-grid-statement legend").get_text(strip=True) == EVIL


# ---- layout -------------------------------------------------------------------------------------

PAGE = """{% extends "base.html" %}
{% from "macros/components.html" import error_summary, back_link %}
{% block title %}Your role{% endblock %}
{% block back %}{{ back_link("/previous") }}{% endblock %}
{% block content %}{{ error_summary(errors) }}<h1 class="cd-heading-l">Your role</h1>{% endblock %}
"""


def test_base_layout_landmarks_and_head(component_app: Flask) -> None:
    soup = render_page(component_app, PAGE)
    assert one(soup, "html")["lang"] == "en"
    assert one(soup, "title").get_text() == "Your role – Candour"
    assert one(soup, 'meta[name="viewport"]')["content"] == "width=device-width, initial-scale=1"
    assert one(soup, 'meta[name="referrer"]')["content"] == "no-referrer"
    assert one(soup, 'meta[name="robots"]')["content"] == "noindex, nofollow"
    assert one(soup, 'link[rel="stylesheet"]')["href"] == "/static/candour.css"
    scripts = soup.select("script")
    assert [s["src"] for s in scripts] == ["/static/exit-this-page.js", "/static/forms.js"]
    assert all(s.has_attr("defer") for s in scripts)
    skip = soup.select("body a")[0]
    assert skip["href"] == "#main-content"
    assert "cd-skip-link" in skip["class"]
    main = one(soup, "main#main-content")
    assert "cd-main" in main["class"]
    assert one(soup, ".cd-back-link")["href"] == "/previous"
    service = one(soup, "header a.cd-header__service")
    assert (service["href"], service.get_text()) == ("/landing", "Candour")
    assert "Anti-Racist Practice Pledge – Eastern Region" in one(soup, "header").get_text()
    footer = one(soup, "footer")
    assert [(a.get_text(), a["href"]) for a in footer.select("a")] == [
        ("Privacy", "/privacy"),
        ("Accessibility", "/accessibility"),
        ("Cookies", "/cookies"),
    ]
    assert "Candour is open source" in footer.get_text()
    assert len(soup.select("h1")) == 1


def test_exit_this_page_is_a_plain_link_shown_by_default(component_app: Flask) -> None:
    soup = render_page(component_app, PAGE)
    link = one(soup, ".cd-exit-this-page a")
    assert link["href"] == "/exit-page"
    assert link.get_text() == "Exit this page"
    assert set(link["rel"]) == {"nofollow", "noreferrer"}
    assert {"cd-button", "cd-button--warning"} <= set(link["class"])
    # It comes straight after the skip link, before the header.
    assert [a.get_text() for a in soup.select("body a")[:2]] == [
        "Skip to main content",
        "Exit this page",
    ]


def test_exit_this_page_can_be_turned_off(component_app: Flask) -> None:
    assert not render_page(component_app, PAGE, show_exit=False).select(".cd-exit-this-page")
    child_sets_it = "{% set show_exit = false %}" + PAGE
    assert not render_page(component_app, child_sets_it).select(".cd-exit-this-page")
    assert render_page(component_app, PAGE, show_exit=True).select(".cd-exit-this-page")


def test_title_says_error_when_there_are_errors(component_app: Flask) -> None:
    errors = [Problem("#role", "Select your role")]
    soup = render_page(component_app, PAGE, errors=errors)
    assert one(soup, "title").get_text() == "Error: Your role – Candour"
    assert one(soup, ".cd-error-summary a")["href"] == "#role"
    assert one(render_page(component_app, PAGE, errors=[]), "title").get_text() == (
        "Your role – Candour"
    )


# ---- error and status pages ---------------------------------------------------------------------


@pytest.mark.parametrize("template", ERROR_PAGES)
def test_error_pages_have_one_h1_and_a_plain_title(component_app: Flask, template: str) -> None:
    soup = BeautifulSoup(render_template(template, survey_title="Staff survey"), "html.parser")
    h1 = one(soup, "h1")
    title = one(soup, "title").get_text()
    assert title == f"{h1.get_text(strip=True)} – Candour"
    assert not title.startswith("Error:")
    assert one(soup, "main").select("p.cd-body")
    text = soup.get_text(" ").lower()
    for technical in ("traceback", "exception", "csrf", "http ", "status code"):
        assert technical not in text


def test_error_page_headings(component_app: Flask) -> None:
    headings = {
        page: one(BeautifulSoup(render_template(page), "html.parser"), "h1").get_text()
        for page in ERROR_PAGES
    }
    assert headings["errors/400.html"] == "Sorry, there is a problem with that request"
    assert headings["errors/404.html"] == "Page not found"
    assert headings["errors/413.html"] == "Your answer was too long to send"
    assert headings["errors/500.html"] == "Sorry, there is a problem with the service"
    assert headings["errors/csrf.html"] == "Your page timed out"
    assert headings["errors/cookies.html"] == "Cookies are needed to answer"
    assert headings["closed.html"] == "This survey has closed"


def test_timed_out_page_links_back(component_app: Flask) -> None:
    soup = BeautifulSoup(render_template("errors/csrf.html", retry_url="/s/abc/2"), "html.parser")
    assert one(soup, 'main a[href="/s/abc/2"]')
    fallback = BeautifulSoup(render_template("errors/csrf.html"), "html.parser")
    assert one(fallback, 'main a[href="/landing"]')


def test_closed_page_shows_the_survey_title_escaped(component_app: Flask) -> None:
    soup = BeautifulSoup(render_template("closed.html", survey_title=EVIL), "html.parser")
    assert EVIL in one(soup, "main").get_text()
    assert not soup.select("script:not([src])")
    assert "nothing you send now will be stored" in one(soup, "main").get_text()


# ---- static assets ------------------------------------------------------------------------------


def css_classes() -> set[str]:
    """Classes styled by the shared stylesheet, by staff.css (which staff pages add) or by
    report.css (which the report pages add)."""
    css = "".join(
        (STATIC / name).read_text(encoding="utf-8")
        for name in ("candour.css", "staff.css", "report.css")
    )
    return set(re.findall(r"\.(cd-[a-z0-9_-]+)", css))


def test_assets_load_nothing_from_elsewhere() -> None:
    for name in ("candour.css", "report.css", "exit-this-page.js", "forms.js"):
        text = (STATIC / name).read_text(encoding="utf-8")
        assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}|@import|url\(", text, re.I), name
    for name in ("exit-this-page.js", "forms.js"):
        js = (STATIC / name).read_text(encoding="utf-8")
        for call in ("fetch(", "XMLHttpRequest", "sendBeacon", "localStorage", "document.cookie"):
            assert call not in js, (name, call)


def test_stylesheet_is_small_and_prefixed() -> None:
    css = (STATIC / "candour.css").read_text(encoding="utf-8")
    assert len(css.splitlines()) < 600
    assert not re.search(
        r"\.(?!cd-)[a-z][a-z0-9_-]*\s*[,{:.\[]", re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    )


def test_every_class_the_templates_use_is_styled(component_app: Flask) -> None:
    options = [Opt("a", "A", hint="h"), Opt("b", "B", exclusive=True)]
    source = """{% extends "base.html" %}
    {% from "macros/components.html" import error_summary, back_link, button, link_button,
       radios, checkboxes, textarea, number_input, likert_grid, summary_list, panel, inset_text,
       warning_text, notification_banner, paragraphs %}
    {% block title %}All{% endblock %}
    {% block back %}{{ back_link("/") }}{% endblock %}
    {% block content %}
    {{ error_summary(errors) }}
    {{ radios("r", "R", options, hint="h", error="e", heading=True, inline=True) }}
    {{ checkboxes("c", "C", options, hint="h", error="e") }}
    {{ textarea("t", "T", error="e", max_length=10) }}
    {{ number_input("n", "N", suffix="years", error="e") }}
    {{ likert_grid("g", "G", [stmt], options, errors={"s": "e"}, hint="h") }}
    {{ summary_list([{"key": "k", "lines": [], "href": "/", "hidden": "k"},
                     {"key": "k", "lines": ["a"], "href": None}]) }}
    {{ panel("P", "b") }}{{ inset_text("i") }}{{ warning_text("w") }}
    {{ notification_banner("T", "x") }}{{ paragraphs(["p"]) }}
    {{ button("b") }}{{ button("b", variant="secondary") }}{{ button("b", variant="warning") }}
    {{ link_button("s", "/", variant="start") }}
    {% endblock %}"""
    soup = render_page(
        component_app, source, errors=[Problem("#r", "e")], options=options, stmt=Stmt("s", "S")
    )
    used = {c for tag in soup.select("[class]") for c in tag["class"]}
    assert used - css_classes() == set()
    assert {c for c in used if not c.startswith("cd-")} == set()
    ids = [tag["id"] for tag in soup.select("[id]")]
    assert len(ids) == len(set(ids)), "ids must be unique on a page"
    assert_describedby_targets_exist(soup)
    assert_labels_match_inputs(soup)


def test_the_brief_s_component_classes_exist() -> None:
    required = """cd-width-container cd-main cd-header cd-footer cd-heading-xl cd-heading-l
    cd-heading-m cd-heading-s cd-body cd-caption cd-button cd-button--secondary cd-button--warning
    cd-button--start cd-back-link cd-error-summary cd-error-message cd-form-group
    cd-form-group--error cd-fieldset cd-fieldset__legend cd-fieldset__legend--l cd-label cd-hint
    cd-radios cd-radios__item cd-checkboxes cd-checkboxes__item cd-checkboxes__divider cd-input
    cd-input--width-5 cd-input__suffix cd-textarea cd-character-count cd-summary-list cd-panel
    cd-panel--confirmation cd-inset-text cd-warning-text cd-notification-banner cd-table cd-tag
    cd-exit-this-page cd-skip-link cd-visually-hidden cd-progress cd-grid-statement cd-details"""
    assert set(required.split()) - css_classes() == set()


def test_every_literal_class_in_any_template_is_styled() -> None:
    used: set[str] = set()
    for template in TEMPLATES.rglob("*.html"):
        for attribute in re.findall(r'class="([^"]*)"', template.read_text(encoding="utf-8")):
            without_jinja = re.sub(r"\{[{%].*?[%}]\}", " ", attribute)
            used |= {c for c in without_jinja.split() if c.startswith("cd-") and c[-1] != "-"}
    assert used - css_classes() == set()


@pytest.mark.parametrize(
    ("selected", "expected"),
    [
        (None, set()),
        ("b", {"b"}),
        (3, {"3"}),
        (["y", 2], {"y", "2"}),
        ({"a": 1}, {"a"}),
    ],
)
def test_picked_gives_the_chosen_values_as_strings(selected: Any, expected: set[str]) -> None:
    assert picked(selected) == expected


def test_picked_treats_an_undefined_template_value_as_nothing_chosen(
    component_app: Flask,
) -> None:
    source = "{{ (answers['missing'] | picked) | length }}"
    assert component_app.jinja_env.from_string(source).render(answers={}) == "0"
