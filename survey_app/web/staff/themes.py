"""Theme review pages: an analyst names, merges, splits and moves themes and moderates quotes
before publishing. Everything is read from the draft release's encrypted workspace through
``services.review``; each change reprotects the release and is audited there."""

from __future__ import annotations

from typing import Any

from flask import abort, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from analysis.comments import NO_THEME, ReviewError
from analysis.comments.similar import nearest_pairs
from survey_app.domain.numbers import whole_number
from survey_app.extensions import (
    get_db,
    get_keyring,
    get_questionnaires,
    get_theme_options,
    get_unlock_store,
)
from survey_app.forms.registry import ErrorLink
from survey_app.services import reports, review, themes
from survey_app.services.errors import NotFoundError
from survey_app.web.staff import bp
from survey_app.web.staff.access import current_staff, login_required, roles_required
from survey_app.web.staff.reports import chosen_release
from survey_app.web.staff.surveys import WORKERS, _survey_for

PAGES = ("question", "theme", "quotes")


def _context(slug: str) -> review.ReviewContext:
    try:
        return review.open_review(
            get_db(), get_keyring(), get_questionnaires(), current_staff(), slug, get_unlock_store()
        )
    except review.ReviewAccessError:
        abort(403)
    except review.ReviewLockedError:
        abort(redirect(url_for("staff.unlock_review", slug=slug), code=303))
    except review.ReviewClosedError:
        abort(_closed(slug, changed=False))
    except NotFoundError:
        abort(404)


def _closed(slug: str, *, changed: bool) -> Response:
    """The review has ended (the report was published): "Page not found" for a page, a
    conflict for a change, each with a page that says so."""
    survey = _survey_for(slug)
    page = render_template("staff/themes_closed.html", survey=survey, changed=changed)
    return make_response(page, 409 if changed else 404)


def _page(
    context: review.ReviewContext,
    question_id: str,
    page: str,
    theme_id: int | None,
    errors: list[ErrorLink],
) -> str:
    try:
        found = context.review(question_id)
    except NotFoundError:
        abort(404)
    values: dict[str, Any] = {
        "context": context,
        "survey": context.survey,
        "review": found,
        "question_text": context.question_text(question_id),
        "themes": review.theme_rows(found),
        "errors": errors,
        "pairs": nearest_pairs(found) if page == "question" else [],
        "no_theme": NO_THEME,
    }
    if page == "theme":
        if theme_id is None or (theme_id != NO_THEME and not found.has_theme(theme_id)):
            abort(404)
        values["theme"] = None if theme_id == NO_THEME else found.theme(theme_id)
        values["theme_id"] = theme_id
        order = request.args.get("order", "found")
        values["order"] = order if order in review.ORDERS else "found"
        values["comments"] = review.comment_rows(found, theme_id, values["order"])
        return render_template("staff/themes_theme.html", **values)
    if page == "quotes":
        values["quotes"] = review.quote_rows(found)
        return render_template("staff/themes_quotes.html", **values)
    return render_template("staff/themes_question.html", **values)


@bp.get("/surveys/<slug>/themes")
@roles_required(*WORKERS)
def themes_index(slug: str) -> str:
    context = _context(slug)
    rows = [(r, context.question_text(r.question_id)) for r in context.reviews]
    return render_template("staff/themes.html", context=context, survey=context.survey, rows=rows)


@bp.get("/surveys/<slug>/themes/<question_id>")
@roles_required(*WORKERS)
def themes_question(slug: str, question_id: str) -> str:
    return _page(_context(slug), question_id, "question", None, [])


@bp.get("/surveys/<slug>/themes/<question_id>/theme/<int(signed=True):theme_id>")
@roles_required(*WORKERS)
def themes_theme(slug: str, question_id: str, theme_id: int) -> str:
    return _page(_context(slug), question_id, "theme", theme_id, [])


@bp.get("/surveys/<slug>/themes/<question_id>/quotes")
@roles_required(*WORKERS)
def themes_quotes(slug: str, question_id: str) -> str:
    return _page(_context(slug), question_id, "quotes", None, [])


@bp.post("/surveys/<slug>/themes/<question_id>")
@roles_required(*WORKERS)
def themes_act(slug: str, question_id: str) -> Response | tuple[str, int]:
    form = request.form
    page = form.get("page", "question")
    page = page if page in PAGES else "question"
    back_theme = _theme_param(form.get("back_theme"))
    try:
        review.act(
            get_db(),
            get_keyring(),
            get_questionnaires(),
            get_theme_options(),
            current_staff(),
            slug,
            form.get("release", ""),
            question_id,
            form.get("action", ""),
            form,
            get_unlock_store(),
        )
    except review.ReviewAccessError:
        abort(403)
    except review.ReviewLockedError:
        # The unlock ran out (or someone locked it) while the page was open: nothing changed.
        return redirect(url_for("staff.unlock_review", slug=slug, notice="locked"), code=303)
    except review.ReviewClosedError:  # published while the page was open: nothing changed
        return _closed(slug, changed=True)
    except NotFoundError:
        abort(404)
    except (ReviewError, review.StaleReviewError) as error:
        if review.draft_under_review(get_db(), slug) is None:  # published meanwhile
            return _closed(slug, changed=True)
        field = form.get("field") or "main-content"
        errors = [ErrorLink(f"#{field}", str(error))]
        return _page(_context(slug), question_id, page, back_theme, errors), 400
    if page == "theme" and back_theme is not None:
        target = url_for(
            "staff.themes_theme", slug=slug, question_id=question_id, theme_id=back_theme
        )
    elif page == "quotes":
        target = url_for("staff.themes_quotes", slug=slug, question_id=question_id)
    else:
        target = url_for("staff.themes_question", slug=slug, question_id=question_id)
    return redirect(target, code=303)


def _theme_param(value: str | None) -> int | None:
    return whole_number(value, signed=True)


@bp.get("/surveys/<slug>/report/codebook.yaml")
@login_required
def carried_codebook(slug: str) -> Response:
    """The report's named themes as a codebook for next year's questionnaire."""
    try:
        context = reports.open_report(
            get_db(),
            get_keyring(),
            get_questionnaires(),
            current_staff(),
            slug,
            chosen_release(),
        )
    except NotFoundError:
        abort(404)
    if context.release is None:
        abort(404)
    text = themes.carried_codebook(context.release.themes.values(), context.release.as_at.year)
    response = make_response(text)
    response.mimetype = "application/yaml"
    response.headers["Content-Disposition"] = f'attachment; filename="{slug}-codebook.yaml"'
    return response
