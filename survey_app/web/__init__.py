"""Blueprints, error pages and response headers."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from survey_app.extensions import csrf

log = logging.getLogger(__name__)

# Our own assets only; inline scripts and styles are never needed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
ERROR_TEMPLATES = {400, 403, 404, 405, 413, 429}


def register_web(app: Flask) -> None:
    from survey_app.web import health, respond, retiring, staff

    app.register_blueprint(respond.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(health.bp)
    csrf.exempt(health.bp)

    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.after_request(_headers)
    app.after_request(retiring.retire_if_asked)
    app.context_processor(respond.template_helpers)


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    # Back to the page they were on: their typing is still in the browser's history.
    retry = (
        request.full_path.rstrip("?") if request.method == "POST" else url_for("respond.landing")
    )
    if not request.cookies:
        # No cookie at all came with the form: cookies are off, not a page left open too long.
        return render_template("errors/cookies.html", retry_url=retry), 400
    return render_template("errors/csrf.html", retry_url=retry), 400


def _http_error(error: HTTPException) -> Response | tuple[str, int]:
    code = error.code or 500
    if code < 400:
        return error.get_response()
    template = f"errors/{code}.html" if code in ERROR_TEMPLATES else "errors/400.html"
    if code >= 500:
        template = "errors/500.html"
    return render_template(template), code


def _unexpected_error(error: Exception) -> tuple[str, int]:
    # Log the kind of failure and where, never the request (no address, no form data).
    log.error("unexpected %s in %s", type(error).__name__, request.endpoint, exc_info=error)
    return render_template("errors/500.html"), 500


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.endpoint != "static":
        # Shared office PCs: the back button must not bring answers back after leaving.
        response.headers["Cache-Control"] = "no-store"
    return response
