"""Turning a rendered HTML report into a PDF file, with WeasyPrint.

A browser's "Save as PDF" is not enough for the annual report: it needs a layout engine for
paged media. WeasyPrint lays the HTML out on A4 pages itself, so the stylesheet can number
the pages ("Page 2 of 9"), give the contents list each section's page number (with
``target-counter``), start every section on a new page, repeat table headers and keep rows
whole. The same HTML and stylesheet print from a browser too, where these rules are
supported.

This module is pure: the caller renders the HTML (a Flask template) and passes the text. Nothing
is fetched from the network: the only resources a document can load are the files in the
application's static folder (``survey_app/web/static/``), by ``file://`` URL or by the app's
own ``/static/`` URLs, and ``data:`` URLs, which carry their content with them.

WeasyPrint needs Pango and HarfBuzz from the system; where they or the package are missing,
``engine_problem()`` says what to install and ``html_to_pdf`` raises ``PdfUnavailable``.
"""

from __future__ import annotations

import functools
import importlib
import mimetypes
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from survey_app.services.errors import ServiceError

PDF_PACKAGE = "weasyprint"
# The Debian (bookworm) packages WeasyPrint loads at import, and the report's font.
SYSTEM_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"
STATIC_DIR = Path(__file__).resolve().parents[1] / "web" / "static"
ANNUAL_STYLESHEET = STATIC_DIR / "annual.css"


#: The longest a web request waits for a PDF to be laid out (a 60-page report takes ~10 s).
LAYOUT_TIMEOUT = 300
LAYOUT_FAILED = (
    "The PDF could not be made this time. Open the annual report and print it from your "
    "browser, or try again later."
)


class PdfUnavailable(ServiceError):
    """This server cannot make PDF files; ``str(error)`` says what an operator should install."""


def _load_engine() -> ModuleType:
    """Import WeasyPrint (kept apart so that tests can stand in a failing import)."""
    return importlib.import_module(PDF_PACKAGE)


@functools.cache
def engine_problem() -> str | None:
    """None when WeasyPrint can be used; otherwise one sentence for an operator. The answer is
    kept for the life of the process (``engine_problem.cache_clear()`` forgets it)."""
    try:
        _load_engine()
    except (ImportError, OSError, Warning) as error:
        # Warning: an old or partial system library makes WeasyPrint warn at import, which
        # settings that turn warnings into errors (the test suite's) raise.
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
        return (
            f"PDF files cannot be made on this server ({reason}): install the Python package "
            f"{PDF_PACKAGE} and the Debian packages {SYSTEM_PACKAGES}, "
            "which `make install` installs."
        )
    return None


def static_file(url: str, *, base_url: str | None = None) -> Path:
    """The file in the static folder that ``url`` names, or ValueError. ``url`` is a
    ``file://`` URL, or an http(s) URL with ``/static/`` in its path on the same scheme and
    host as ``base_url`` (the app's own static URLs); nothing else is served."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"Refused (not a local file): {url}")
        path = Path(url2pathname(parts.path))
    elif scheme in ("http", "https"):
        base = urlsplit(base_url or "")
        if (base.scheme.lower(), base.netloc.lower()) != (scheme, parts.netloc.lower()):
            raise ValueError(f"Refused (not this application's address): {url}")
        _prefix, found, rest = parts.path.partition("/static/")
        if not found:
            raise ValueError(f"Refused (not a static file): {url}")
        path = STATIC_DIR / unquote(rest)
    else:
        raise ValueError(f"Refused (only static files are loaded): {url}")
    resolved = path.resolve()
    if not resolved.is_relative_to(STATIC_DIR) or not resolved.is_file():
        raise ValueError(f"Refused (not a file in the static folder): {url}")
    return resolved


def static_fetcher(base_url: str | None = None) -> Any:
    """A WeasyPrint URL fetcher that serves static files (see ``static_file``) and ``data:``
    URLs, and raises ValueError for anything else, which WeasyPrint then leaves out."""
    problem = engine_problem()
    if problem is not None:
        raise PdfUnavailable(problem)
    weasyprint = _load_engine()
    urls = weasyprint.urls

    class StaticFetcher(urls.URLFetcher):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            # The base class only ever sees data: URLs, and could open nothing else.
            super().__init__(allowed_protocols=("data",), allow_redirects=False)

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url[:5].lower() == "data:":
                return super().fetch(url, headers)
            path = static_file(url, base_url=base_url)
            mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return urls.URLFetcherResponse(
                url, path.read_bytes(), headers={"Content-Type": mime_type}
            )

    return StaticFetcher()


def html_to_pdf(
    html: str, *, base_url: str | None = None, stylesheets: Sequence[str] = ()
) -> bytes:
    """The PDF of ``html``. ``base_url`` resolves relative URLs (pass the app's address, such
    as ``request.url_root``, so that ``/static/…`` links load); ``stylesheets`` are paths or
    URLs of files in the static folder, applied after the document's own. Raises
    PdfUnavailable when this server cannot make PDF files."""
    problem = engine_problem()
    if problem is not None:
        raise PdfUnavailable(problem)
    weasyprint = _load_engine()
    fetcher = static_fetcher(base_url)
    sheets = [
        weasyprint.CSS(url=weasyprint.urls.ensure_url(sheet), url_fetcher=fetcher)
        for sheet in stylesheets
    ]
    document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    pdf: bytes = document.write_pdf(stylesheets=sheets, pdf_tags=True)
    return pdf


def html_to_pdf_apart(html: str, *, timeout: float = LAYOUT_TIMEOUT) -> bytes:
    """``html_to_pdf`` in a short-lived process of its own (``python -m
    survey_app.services.pdf``), so that the layout's memory (close to 1 GB for a long report)
    goes back to the system when it exits, not into a web worker. Raises PdfUnavailable when
    this server cannot make PDF files, ServiceError when the layout fails or takes too long."""
    problem = engine_problem()
    if problem is not None:
        raise PdfUnavailable(problem)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "survey_app.services.pdf"],
            input=html.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ServiceError(LAYOUT_FAILED) from None
    if done.returncode != 0 or not done.stdout.startswith(b"%PDF"):
        raise ServiceError(LAYOUT_FAILED)
    return done.stdout


if __name__ == "__main__":
    # The child of ``html_to_pdf_apart``: HTML on standard input, the PDF on standard output.
    sys.stdout.buffer.write(html_to_pdf(sys.stdin.buffer.read().decode("utf-8")))
