"""Blueprints, error pages and response headers."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from flask import Flask, abort, current_app, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from redis.exceptions import RedisError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from survey_app.extensions import csrf

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

# Our own assets only; inline scripts and styles are never needed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
ERROR_TEMPLATES = {400, 403, 404, 405, 413, 429}
# What stays as it is when a query string is copied into a link (the rest is escaped).
_QUERY_SAFE = "&=%+/:;,@?!$'()*~-._"
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
# Browsers that have seen the site over HTTPS use nothing else for a year, subdomains too.
# Sent only over HTTPS (a browser ignores it over plain HTTP, and it must not stick to a
# development server): ``request.is_secure`` follows gunicorn, which trusts the
# X-Forwarded-Proto of the proxies in ``forwarded_allow_ips`` (survey_app/gunicorn_conf.py).
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def register_web(app: Flask) -> None:
    from survey_app.web import health, presenting, respond, retiring, staff

    app.register_blueprint(respond.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(health.bp)
    csrf.exempt(health.bp)

    app.wsgi_app = EscapedQuery(app.wsgi_app)  # type: ignore[method-assign]
    app.before_request(_no_nul_in_address)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.register_error_handler(RedisError, _unavailable)
    app.register_error_handler(OperationalError, _unavailable)
    app.after_request(_headers)
    app.after_request(retiring.retire_if_asked)
    app.context_processor(respond.template_helpers)
    app.jinja_env.globals["site"] = SiteLinks()
    app.add_template_filter(presenting.picked, "picked")


class EscapedQuery:
    """WSGI middleware: bytes outside ASCII in the query string are percent-encoded, as a
    browser sends them. Werkzeug decodes the raw query string as strict UTF-8 (for
    ``request.args``), so a client that sends raw invalid bytes would otherwise get a 500.
    Gunicorn refuses such a request line itself; other servers pass it on."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        query = environ.get("QUERY_STRING", "")
        if not query.isascii():
            raw = query.encode("latin-1", "replace")  # WSGI: one character per byte
            environ["QUERY_STRING"] = quote(raw, safe=_QUERY_SAFE)
        return self.app(environ, start_response)


#: The addresses every page links to (base.html), by name: endpoint and arguments.
SITE_LINKS: dict[str, tuple[str, dict[str, Any]]] = {
    "stylesheet": ("static", {"filename": "candour.css"}),
    "exit_script": ("static", {"filename": "exit-this-page.js"}),
    "forms_script": ("static", {"filename": "forms.js"}),
    "exit": ("respond.exit_page", {}),
    "home": ("respond.landing", {}),
    "privacy": ("respond.privacy", {}),
    "accessibility": ("respond.accessibility", {}),
    "cookies": ("respond.cookies", {}),
}
_BUILT_LINKS = "candour.site_links"


class SiteLinks:
    """``site`` in every template: the links of every page (``site.stylesheet``,
    ``site.privacy``...), built once for each root the application is served under rather
    than for every page (building them was a twentieth of a respondent's page)."""

    def __getattr__(self, name: str) -> str:
        if name not in SITE_LINKS:
            raise AttributeError(name)
        built: dict[str, dict[str, str]] = current_app.extensions.setdefault(_BUILT_LINKS, {})
        root = request.script_root
        links = built.get(root)
        if links is None:
            links = {key: url_for(endpoint, **args) for key, (endpoint, args) in SITE_LINKS.items()}
            if len(built) < 8:  # the roots a server is set up with: never grown by requests
                built[root] = links
        return links[name]


def _no_nul_in_address() -> None:
    """No address of ours holds a NUL byte (``%00``), and PostgreSQL can neither store nor
    compare one: such an address is not found, before any view looks its parts up."""
    if "\x00" in request.path:
        abort(404)


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    # Back to the page they were on: their typing is still in the browser's history.
    retry = _this_page() if request.method == "POST" else url_for("respond.landing")
    if not request.cookies:
        # No cookie at all came with the form: cookies are off, not a page left open too long.
        return render_template("errors/cookies.html", retry_url=retry), 400
    return render_template("errors/csrf.html", retry_url=retry), 400


def _this_page() -> str:
    """The address of this request, for a link back to it. Not ``request.full_path``: that
    decodes the query string as strict UTF-8, and a client may send any bytes there."""
    path = quote(request.path, safe=_PATH_SAFE)
    if not request.query_string:
        return path
    return f"{path}?{quote(request.query_string, safe=_QUERY_SAFE)}"


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


def _unavailable(error: Exception) -> tuple[str, int]:
    """Redis or the database cannot be reached (restarting, a network fault): a page that says
    so, with 503 so that a proxy or monitor sees a passing outage rather than a fault."""
    log.error("%s in %s: a service is unreachable", type(error).__name__, request.endpoint)
    return render_template("errors/503.html"), 503


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    if request.endpoint != "static":
        # Shared office PCs: the back button must not bring answers back after leaving.
        response.headers["Cache-Control"] = "no-store"
    return response
