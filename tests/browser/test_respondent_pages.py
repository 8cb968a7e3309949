"""A respondent on a 320 px phone, with and without JavaScript; accessibility with axe-core."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from survey_app.extensions import get_db
from survey_app.services.export import open_responses
from tests.helpers.journey import PASSPHRASE, create_survey

pytestmark = pytest.mark.browser

PHONE = {"width": 320, "height": 640}
# axe-core rules that matter for WCAG 2.2 A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return [
        f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
        for v in results.response["violations"]
    ]


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_phone_without_javascript_completes_a_survey(
    browser: Any, live_app: tuple[Flask, str]
) -> None:
    app, base = live_app
    create_survey(app, "reflective-space-feedback", slug="feedback")
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()

    page.goto(f"{base}/s/feedback/")
    assert no_sideways_scroll(page)
    page.get_by_role("button", name="Start now").click()

    # Send the page empty: the required question is flagged, in the title and the summary.
    page.get_by_role("button", name="Continue").click()
    assert page.title().startswith("Error: ")
    summary = page.locator(".cd-error-summary a")
    assert summary.count() == 1
    summary.first.click()
    assert page.evaluate("location.hash") == "#usefulness"
    assert no_sideways_scroll(page)

    page.get_by_label("Very useful", exact=True).check()
    page.get_by_label("What worked well for you today?").fill("Hearing from others.")
    page.get_by_role("button", name="Continue").click()
    # the second and last page: optional questions about the person, skipped here
    assert "About you (optional)" in page.locator("main").inner_text()
    assert no_sideways_scroll(page)
    page.get_by_role("button", name="Continue").click()
    assert page.locator("h1").inner_text().startswith("Check your answers")
    assert "Hearing from others." in page.locator(".cd-summary-list").first.inner_text()
    assert no_sideways_scroll(page)
    page.get_by_role("button", name="Send my answers").click()
    assert "your answers have been sent" in page.locator("h1").inner_text()
    context.close()

    with app.app_context():
        opened = open_responses(get_db(), "feedback", PASSPHRASE)
    assert [r.answers["usefulness"] for r in opened] == ["very_useful"]
    assert "council" not in opened[0].answers


@pytest.mark.parametrize(
    "questionnaire_id", ["global-majority-staff-survey", "black-male-social-workers"]
)
def test_pages_meet_wcag_aa_by_axe(
    browser: Any, live_app: tuple[Flask, str], questionnaire_id: str
) -> None:
    app, base = live_app
    info = create_survey(app, questionnaire_id, slug="survey")
    page = browser.new_page(viewport=PHONE)
    checked = []
    page.goto(f"{base}/")
    checked.append(("landing", axe_violations(page)))
    for notice in ("privacy", "accessibility", "cookies"):
        page.goto(f"{base}/{notice}")
        checked.append((notice, axe_violations(page)))
        assert no_sideways_scroll(page), notice
    page.goto(f"{base}/s/{info.slug}/")
    checked.append(("start", axe_violations(page)))
    page.get_by_role("button", name="Start now").click()
    checked.append(("first section", axe_violations(page)))
    assert no_sideways_scroll(page)
    # Walk every section with no answers, then look at check-your-answers.
    while page.get_by_role("button", name="Continue").count():
        page.get_by_role("button", name="Continue").click()
        checked.append((page.title(), axe_violations(page)))
        assert no_sideways_scroll(page), page.title()
    assert page.locator("h1").inner_text().startswith("Check your answers")
    page.goto(f"{base}/s/no-such-survey/")
    checked.append(("not found", axe_violations(page)))
    page.close()
    failures = [(name, found) for name, found in checked if found]
    assert failures == []
    assert len(checked) >= 5


def test_exit_this_page_with_three_shift_presses(browser: Any, live_app: tuple[Flask, str]) -> None:
    app, base = live_app
    create_survey(app, "reflective-space-feedback", slug="feedback")
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{base}/s/feedback/")
    for _ in range(3):
        page.keyboard.press("Shift")
    page.wait_for_url(f"{base}/healthz", timeout=5000)
    assert page.url == f"{base}/healthz"
    page.close()


def test_a_code_respondent_s_pages_meet_wcag_aa_and_a_resend_is_refused_kindly(
    browser: Any, live_app: tuple[Flask, str]
) -> None:
    from survey_app.extensions import get_code_secret
    from survey_app.services.codes import issue_codes

    app, base = live_app
    create_survey(app, "reflective-space-feedback", slug="coded", access="codes")
    with app.app_context():
        (code,) = issue_codes(get_db(), "coded", 1, get_code_secret())
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    checked = []
    page.goto(f"{base}/s/coded/")
    checked.append(("start with a code", axe_violations(page)))
    page.get_by_label("Enter your access code").fill(code)
    page.get_by_role("button", name="Start now").click()
    assert "Your code has been accepted" in page.locator("main").inner_text()
    checked.append(("first question, code accepted", axe_violations(page)))
    assert no_sideways_scroll(page)
    page.get_by_label("Very useful", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()  # "About you", skipped
    unsent = context.cookies()  # the draft, as a second tab or a back button would keep it
    page.get_by_role("button", name="Send my answers").click()
    assert "your answers have been sent" in page.locator("h1").inner_text()
    context.add_cookies(unsent)
    page.goto(f"{base}/s/coded/check")
    page.get_by_role("button", name="Send my answers").click()
    assert page.locator("h1").inner_text() == "Your answers have already been sent"
    checked.append(("already sent", axe_violations(page)))
    assert no_sideways_scroll(page)
    context.close()
    assert [(name, found) for name, found in checked if found] == []
    with app.app_context():
        assert len(open_responses(get_db(), "coded", PASSPHRASE)) == 1


def test_after_exit_back_shows_no_earlier_answer(browser: Any, live_app: tuple[Flask, str]) -> None:
    """Answer "Yes", move on, press Exit, then Back twice: whatever page comes back shows no
    answer (the browser must not restore the form from its history)."""
    app, base = live_app
    create_survey(app, "global-majority-staff-survey", slug="staff")
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{base}/s/staff/")
    page.get_by_role("button", name="Start now").click()
    page.get_by_role("radio", name="Yes").first.check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="Exit this page").first.click()
    page.wait_for_url(f"{base}/healthz", timeout=5000)
    seen = []
    for _ in range(2):
        page.go_back()
        page.wait_for_load_state()
        seen.append(page.url)
        checked = page.locator("input:checked").count()
        filled = page.locator("textarea").evaluate_all("boxes => boxes.filter(b => b.value).length")
        assert (checked, filled) == (0, 0), f"an earlier answer is back at {page.url}"
    assert any("/s/staff/" in url for url in seen), seen
    context.close()


def test_the_error_summary_takes_the_focus(browser: Any, live_app: tuple[Flask, str]) -> None:
    """Continue without a required answer: the page comes back with the error summary
    focused, so a screen reader reads the problem first."""
    app, base = live_app
    create_survey(app, "reflective-space-feedback", slug="feedback")
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{base}/s/feedback/")
    page.get_by_role("button", name="Start now").click()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    focused = ""
    for _ in range(50):  # polled from here: the page's CSP allows no evaluated predicate
        focused = page.evaluate("document.activeElement.className")
        if "cd-error-summary" in focused:
            break
        page.wait_for_timeout(100)
    assert "cd-error-summary" in focused, focused
    page.close()


def test_an_exclusive_option_unticks_the_others(browser: Any, live_app: tuple[Flask, str]) -> None:
    """ "None of these" unticks "Colleagues"; ticking "Colleagues" again unticks "None of
    these" -- before Continue, not after."""
    app, base = live_app
    create_survey(app, "global-majority-staff-survey", slug="staff")
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{base}/s/staff/")
    page.get_by_role("button", name="Start now").click()
    page.get_by_role("radio", name="Yes").first.check()
    page.get_by_role("button", name="Continue").click()
    assert page.locator("h1").inner_text() == "About the racism"
    colleagues = page.get_by_role("checkbox", name="Colleagues")
    none = page.get_by_role("checkbox", name="None of these")
    colleagues.check()
    none.check()
    assert (colleagues.is_checked(), none.is_checked()) == (False, True)
    colleagues.check()
    assert (colleagues.is_checked(), none.is_checked()) == (True, False)
    page.close()


def test_the_exit_button_never_covers_text_at_320px(
    browser: Any, live_app: tuple[Flask, str]
) -> None:
    """Scrolled at 320 px, the sticky exit button sits in an opaque bar across the page: what
    shows beside the button is the bar, never half-hidden question text."""
    app, base = live_app
    create_survey(app, "global-majority-staff-survey", slug="staff")
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{base}/s/staff/")
    page.get_by_role("button", name="Start now").click()
    page.mouse.wheel(0, 600)
    page.wait_for_timeout(200)
    found = page.evaluate(
        """() => {
          const bar = document.querySelector('[data-module="cd-exit-this-page"]');
          const box = bar.getBoundingClientRect();
          const at = x => document.elementFromPoint(x, box.bottom - 5);
          const hits = [5, 40, 80].map(x => bar.contains(at(x)));
          const background = getComputedStyle(bar).backgroundColor;
          return {top: box.top, width: box.width, hits, background};
        }"""
    )
    assert found["top"] == 0 and found["width"] == PHONE["width"], found
    assert all(found["hits"]) and found["background"] == "rgb(255, 255, 255)", found
    page.close()


def test_back_to_a_page_with_errors_needs_no_resubmission(
    browser: Any, live_app: tuple[Flask, str]
) -> None:
    """Continue with a required answer missing, go elsewhere, then Back: the page loads again
    (no "Confirm form resubmission" from the browser)."""
    app, base = live_app
    create_survey(app, "reflective-space-feedback", slug="feedback")
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{base}/s/feedback/")
    page.get_by_role("button", name="Start now").click()
    page.get_by_role("button", name="Continue").click()
    assert page.locator(".cd-error-summary").count() == 1
    # forms.js (deferred) replaces the POST's history entry with a GET; it has run by "load".
    page.wait_for_load_state("load")
    page.goto(f"{base}/privacy")
    page.go_back()
    page.wait_for_load_state()
    assert page.url.startswith(f"{base}/s/feedback/q/"), page.url
    assert page.locator("h1").count() == 1, page.content()[:300]
    page.close()


def test_the_journey_s_other_pages_meet_wcag_aa_by_axe(
    browser: Any, live_app: tuple[Flask, str]
) -> None:
    """Error summaries, the confirmation, "already answered", "send again in a minute",
    "cookies are needed" and "closed": every page a respondent can reach, checked by axe."""
    from survey_app.services.surveys import close_survey, set_responses_per_minute

    app, base = live_app
    create_survey(app, "reflective-space-feedback", slug="feedback")
    create_survey(app, "reflective-space-feedback", slug="coded", access="codes")
    with app.app_context():
        set_responses_per_minute(get_db(), "feedback", 1)
    checked = []

    def answer(page: Any) -> None:
        page.goto(f"{base}/s/feedback/")
        page.get_by_role("button", name="Start now").click()
        page.get_by_label("Very useful", exact=True).check()
        page.get_by_role("button", name="Continue").click()
        page.get_by_role("button", name="Continue").click()  # "About you", skipped
        page.get_by_role("button", name="Send my answers").click()

    first = browser.new_context(viewport=PHONE)
    page = first.new_page()
    page.goto(f"{base}/s/feedback/")
    page.get_by_role("button", name="Start now").click()
    page.get_by_role("button", name="Continue").click()
    assert page.locator(".cd-error-summary").count() == 1
    checked.append(("question with an error", axe_violations(page)))
    answer(page)
    assert "your answers have been sent" in page.locator("h1").inner_text()
    checked.append(("confirmation", axe_violations(page)))
    page.goto(f"{base}/s/feedback/")
    checked.append(("already answered", axe_violations(page)))
    assert no_sideways_scroll(page)
    first.close()

    second = browser.new_context(viewport=PHONE)
    page = second.new_page()
    answer(page)  # the survey's minute is full
    assert page.locator("h1").inner_text() == "Please send your answers again in a minute"
    checked.append(("send again in a minute", axe_violations(page)))
    assert no_sideways_scroll(page)
    second.clear_cookies()
    page.goto(f"{base}/s/coded/")
    second.clear_cookies()
    page.get_by_label("Enter your access code").fill("AAAA-BBBB-CCCC-DDDD")
    page.get_by_role("button", name="Start now").click()
    checked.append(("cookies needed", axe_violations(page)))
    assert "cookies" in page.locator("h1").inner_text().lower()
    page.goto(f"{base}/s/coded/")
    page.get_by_label("Enter your access code").fill("AAAA-BBBB-CCCC-DDDD")
    page.get_by_role("button", name="Start now").click()
    assert page.locator(".cd-error-summary").count() == 1
    checked.append(("code not accepted", axe_violations(page)))
    with app.app_context():
        close_survey(get_db(), "feedback")
    page.goto(f"{base}/s/feedback/")
    checked.append(("closed", axe_violations(page)))
    second.close()
    assert [(name, found) for name, found in checked if found] == []
    assert len(checked) == 7
