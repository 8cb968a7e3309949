"""``flask demo setup``: demo surveys, responses, a published report and staff accounts.

For ``make run``: one open demo survey per questionnaire (to answer), and last year's staff
survey — closed, with synthetic responses submitted through the real sealing path, analysed
and published — so the report pages have something real to show. The staff survey of two
years ago is made the same way, with more negative answers, and the three are linked as
cycles (2024-25, 2025-26 and this year's open survey, 2026-27), so year-on-year results,
response rates and the annual report have something to show too. Two staff accounts (an
admin, who sets up two-factor sign-in at first login, and a viewer) get printed passwords.

Idempotent: a second run finds everything and only prints the addresses. Refused in
production, because the demo passphrase and passwords are printed for anyone to read.
"""

from __future__ import annotations

import datetime as dt
import random
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from survey_app.cli import WholeNumberParam
from survey_app.demo_data import synthetic_answers
from survey_app.domain.model import Questionnaire
from survey_app.extensions import get_db, get_keyring, get_questionnaires, get_theme_options
from survey_app.services import (
    accounts,
    analysis,
    cycles,
    headcounts,
    publishing,
    reports,
    review,
    sessions,
    surveys,
)
from survey_app.services.submission import submit_response
from survey_app.services.unlocking import MemoryUnlockStore

# Printed on purpose by `make run`; demo surveys are refused in production.
DEMO_PASSPHRASE = "demo-key-holder-passphrase"  # noqa: S105
DEMO_KEY_LABEL = "Demo key holder"
DEMO_STAFF_PASSWORD = "demo-staff-password"  # noqa: S105 - printed on purpose, demo only
DEMO_STAFF = (("admin@demo.invalid", "admin"), ("viewer@demo.invalid", "viewer"))
PAST_SLUG = "demo-staff-survey-last-year"
PAST_QUESTIONNAIRE = "global-majority-staff-survey"
PAST_RESPONSES = 400
# The annual cycle: the survey two years ago, last year's (PAST_SLUG) and this year's open
# demo survey, linked so the reports show year-on-year change, rates and the annual report.
OLDEST_SLUG = "demo-staff-survey-2024-25"
CYCLES = ("2024-25", "2025-26", "2026-27")
# Eligible staff per council for last year's response rates: about three per response.
HEADCOUNT_PER_RESPONSE = 3
SERIES_SLUG = "demo-reflective-space"
SERIES_QUESTIONNAIRE = "reflective-space-feedback"
# Past sessions of the demo series: (title, date, format, council, responses). Some have
# fewer responses than the smallest group (10), so they count only in pooled results.
PAST_SESSIONS = (
    ("Reflective Space – September", "2026-09-17", "in_person", "Norwich", 14),
    ("Webinar: allyship in supervision", "2026-10-08", "online", None, 23),
    ("Reflective Space – October", "2026-10-22", "in_person", "Ipswich", 4),
    ("Webinar: reporting racism", "2026-11-12", "online", None, 18),
    ("Reflective Space – November", "2026-11-26", "in_person", "Norwich", 7),
)

demo_cli = AppGroup("demo", help="Demo surveys for trying Candour out.")


def _create_demo(
    questionnaire: Questionnaire, slug: str, title: str, access: str, log2_n: int
) -> surveys.SurveyInfo:
    """A demo survey or series, its one key slot held by the printed demo passphrase."""
    return surveys.create_survey(
        get_db(),
        questionnaire,
        title=title,
        access=access,
        min_group=current_app.config["SURVEY_DEFAULT_MIN_GROUP"],
        key_label=DEMO_KEY_LABEL,
        passphrase=DEMO_PASSPHRASE,
        log2_n=log2_n,
        slug=slug,
    )


def ensure_demo_surveys(log2_n: int) -> list[surveys.SurveyInfo]:
    db = get_db()
    ready = []
    for questionnaire in sorted(get_questionnaires().values(), key=lambda q: q.id):
        slug = f"demo-{questionnaire.id}"
        info = surveys.find_survey(db, slug)
        if info is None:
            info = _create_demo(
                questionnaire, slug, f"{questionnaire.title} (demo)", "open", log2_n
            )
        if info.status == "draft":
            info = surveys.open_survey(db, slug)
        ready.append(info)
    return ready


def ensure_past_survey(
    log2_n: int,
    responses: int = PAST_RESPONSES,
    *,
    slug: str = PAST_SLUG,
    title: str = "Global Majority staff survey 2025-26 (demo)",
    seed: int = 2025,
    lean: float = 0.0,
) -> surveys.SurveyInfo | None:
    """A past staff survey: closed, with synthetic responses, analysed and published."""
    db = get_db()
    questionnaire = get_questionnaires().get(PAST_QUESTIONNAIRE)
    if questionnaire is None:
        return None
    info = surveys.find_survey(db, slug)
    if info is None:
        info = _create_demo(questionnaire, slug, title, "open", log2_n)
    if info.status == "draft":
        info = surveys.open_survey(db, slug)
    if info.status == "open":
        rng = random.Random(seed)  # noqa: S311 - made-up demo answers, not secrets
        for _ in range(responses - surveys.response_count(db, info.id)):
            answers = synthetic_answers(questionnaire, rng, lean)
            submit_response(db, info, questionnaire, answers)
        info = surveys.close_survey(db, slug)
    if analysis.release_count(db, info.id) == 0:
        _publish_demo_report(questionnaire, info)
    return info


def ensure_demo_cycles(
    log2_n: int, past: surveys.SurveyInfo, responses: int
) -> surveys.SurveyInfo | None:
    """The staff survey's annual cycle: the survey of two years ago (more negative answers:
    things have changed since), last year's and this year's open demo survey, linked in
    order, with last year's headcounts entered. Returns the oldest."""
    db = get_db()
    oldest = ensure_past_survey(
        log2_n,
        responses,
        slug=OLDEST_SLUG,
        title="Global Majority staff survey 2024-25 (demo)",
        seed=2024,
        lean=0.25,
    )
    current = surveys.find_survey(db, f"demo-{PAST_QUESTIONNAIRE}")
    if oldest is None or current is None:
        return None
    chain = ((oldest, None), (past, oldest), (current, past))
    for (info, previous), label in zip(chain, CYCLES, strict=True):
        if info.cycle is None:
            surveys.set_cycle(db, info.slug, label)
        if previous is not None and info.previous_id is None:
            cycles.follow(db, info.slug, previous.slug)
    if not headcounts.headcounts(db, past.id):
        shown = reports.published_group_sizes(db, get_keyring(), past, headcounts.COUNCIL)
        questionnaire = past.questionnaire_in(get_questionnaires())
        values = {
            c.value: max(HEADCOUNT_PER_RESPONSE * (shown.get(c.value) or 8), 25)
            for c in headcounts.councils(questionnaire)
        }
        headcounts.set_headcounts(db, past, questionnaire, values, shown, actor="demo")
    return oldest


def _publish_demo_report(questionnaire: Questionnaire, info: surveys.SurveyInfo) -> None:
    """Analyse, approve the clean quotes and publish, as a key holder would. The demo key
    holder's passphrase stands in for a key holder at each step."""
    db = get_db()
    store = MemoryUnlockStore()
    release_id = analysis.run_analysis(
        db,
        get_keyring(),
        questionnaire,
        info.slug,
        DEMO_PASSPHRASE,
        actor="demo",
        theme_options=get_theme_options(),
        unlocked=lambda release, key: store.put(release, key, 600),
    )
    review.approve_clean_quotes(
        db, get_keyring(), questionnaire, info, release_id, store, actor="demo"
    )
    publishing.publish(
        db, get_keyring(), questionnaire, info.slug, release_id, DEMO_PASSPHRASE, actor="demo"
    )


def ensure_demo_series(log2_n: int) -> tuple[surveys.SurveyInfo, sessions.SessionInfo] | None:
    """The demo series: past sessions with synthetic responses, and one session open now
    (a new one whenever none is open, so `make run` always has a form to answer)."""
    db = get_db()
    questionnaire = get_questionnaires().get(SERIES_QUESTIONNAIRE)
    if questionnaire is None:
        return None
    info = surveys.find_survey(db, SERIES_SLUG)
    if info is None:
        info = _create_demo(
            questionnaire,
            SERIES_SLUG,
            "Global Majority Reflective Space 2026-27 (demo)",
            "sessions",
            log2_n,
        )
        info = surveys.open_survey(db, SERIES_SLUG)
        rng = random.Random(2026)  # noqa: S311 - made-up demo answers, not secrets
        for title, day, form, council, count in PAST_SESSIONS:
            past = sessions.create_session(
                db,
                info,
                get_questionnaires(),
                title=title,
                held_on=dt.date.fromisoformat(day),
                format=form,
                council=council,
                facilitators="Demo facilitator",
            )
            # Sent through the real path: the session is opened, answered and closed.
            sessions.start_session(db, past.id)
            for _ in range(count):
                answers = synthetic_answers(questionnaire, rng)
                submit_response(db, info, questionnaire, answers, session_id=past.id)
            sessions.close_session(db, past.id)
        # The programme team's report on the sessions so far, pooled and session by session.
        _publish_demo_report(questionnaire, info)
    if info.status != "open":
        return None
    now = sessions.utcnow()
    current = [s for s in sessions.list_sessions(db, info.id) if s.state(now) == "open"]
    if current:
        return info, current[0]
    today = sessions.create_session(
        db,
        info,
        get_questionnaires(),
        title="Reflective Space – today (demo)",
        held_on=dt.date.today(),
        format="online",
        facilitators="Demo facilitator",
        open_minutes=sessions.MOST_OPEN_MINUTES,
    )
    return info, sessions.start_session(db, today.id)


def ensure_demo_staff() -> None:
    db = get_db()
    hasher = accounts.password_hasher(
        int(current_app.config["SURVEY_ARGON2_TIME_COST"]),
        int(current_app.config["SURVEY_ARGON2_MEMORY_COST"]),
    )
    for email, role in DEMO_STAFF:
        if accounts.find_account(db, email) is None:
            accounts.create_user(
                db, hasher, email=email, role=role, password=DEMO_STAFF_PASSWORD, actor="demo"
            )


@demo_cli.command("setup")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True)
@click.option(
    "--past-responses",
    type=WholeNumberParam(minimum=0, maximum=100_000),
    default=PAST_RESPONSES,
    show_default=True,
    help="Synthetic responses for last year's demo survey (first run only).",
)
def demo_setup(base_url: str, past_responses: int) -> None:
    """Create and open the demo surveys, then print their addresses."""
    if current_app.config["SURVEY_ENV"] == "production":
        click.echo("Error: demo surveys are not created in production.", err=True)
        sys.exit(1)
    log2_n = int(current_app.config["SURVEY_SCRYPT_LOG2_N"])
    ready = ensure_demo_surveys(log2_n)
    click.echo("Preparing last year's demo survey and its report (first run only)...")
    past = ensure_past_survey(log2_n, past_responses)
    if past is not None:
        click.echo("Preparing the survey of two years ago, for year-on-year results...")
        ensure_demo_cycles(log2_n, past, past_responses * 3 // 4)
    series = ensure_demo_series(log2_n)
    ensure_demo_staff()
    click.echo("")
    click.echo("Demo surveys (open, anyone with the link):")
    for info in ready:
        click.echo(f"  {info.title}: {base_url.rstrip('/')}/s/{info.slug}/  [{info.status}]")
    click.echo(f"Demo key holder '{DEMO_KEY_LABEL}' passphrase: {DEMO_PASSPHRASE}")
    click.echo("  (for `flask responses export --survey SLUG --out FILE`; demo only)")
    if past is not None:
        base = f"{base_url.rstrip('/')}/staff/surveys/{past.slug}"
        click.echo(f"Published demo report: {base}/report")
        click.echo(f"  year on year, 2024-25 to 2025-26: {base}/report/year-on-year")
        click.echo(f"  the annual report: {base}/annual-report (PDF: {base}/annual-report.pdf)")
    if series is not None:
        info, open_session = series
        base = base_url.rstrip("/")
        click.echo(f"Demo series of feedback sessions: {base}/staff/series/{info.slug}")
        click.echo(
            f"  a session open now, to answer on a phone: {base}/f/{open_session.short_code}"
        )
        click.echo(f"  its 'show to the room' page: {base}/staff/sessions/{open_session.id}/room")
    click.echo(f"Staff sign-in: {base_url.rstrip('/')}/staff/login")
    for email, role in DEMO_STAFF:
        click.echo(f"  {role:6} {email}  password: {DEMO_STAFF_PASSWORD}")
    click.echo("  (the admin sets up an authenticator app at first sign-in; the viewer does not)")
    click.echo("")
