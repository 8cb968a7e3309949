"""The PDF layer: a small annual report through the real engine and the report's stylesheet,
read back with pypdf; the URL fetcher that loads static files only; a server without the
engine."""

from __future__ import annotations

import io
import re
import socket
from collections.abc import Iterator
from types import ModuleType

import pytest
from pypdf import PdfReader

from survey_app.services import pdf
from survey_app.services.pdf import (
    ANNUAL_STYLESHEET,
    STATIC_DIR,
    PdfUnavailable,
    engine_problem,
    html_to_pdf,
    static_fetcher,
    static_file,
)

needs_engine = pytest.mark.skipif(
    engine_problem() is not None, reason=f"WeasyPrint cannot run here: {engine_problem()}"
)

REPORT = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Staff survey 2025: annual report</title></head>
<body class="annual-report">
<header class="annual-cover">
  <h1 class="annual-title">Staff survey 2025</h1>
  <p class="annual-subtitle">Annual report</p>
  <img src="http://example.com/x.png" alt="">
</header>
<nav class="annual-contents" aria-label="Contents">
  <h2>Contents</h2>
  <ol>
    <li><a href="#one">Feeling heard</a></li>
    <li><a href="#two">Workload</a></li>
  </ol>
</nav>
<section class="annual-section" id="one">
  <h2>Feeling heard</h2>
  <p>Most people said their manager listens. <span class="annual-change--up">up 4 points</span></p>
  <ul class="annual-chart-key">
    <li class="annual-chart-key__item"><span class="annual-swatch"></span>2025</li>
    <li class="annual-chart-key__item">
      <span class="annual-swatch annual-swatch--earlier"></span>2024
    </li>
  </ul>
  <ul class="annual-chart">
    <li class="annual-chart__row">
      <span class="annual-chart__label">Agree</span>
      <span class="annual-bar">
        <span class="annual-bar__fill" style="width: 62%"></span>
        <span class="annual-bar__fill annual-bar__fill--earlier" style="width: 58%"></span>
      </span>
      <span class="annual-chart__value">62%</span>
    </li>
    <li class="annual-chart__row">
      <span class="annual-chart__label">Disagree</span>
      <span class="annual-bar">
        <span class="annual-bar__fill" style="width: 21%"></span>
        <span class="annual-bar__fill annual-bar__fill--earlier" style="width: 25%"></span>
      </span>
      <span class="annual-chart__value">21%</span>
    </li>
  </ul>
  <p class="annual-note">Groups of fewer than 10 people are not shown.</p>
</section>
<section class="annual-section" id="two">
  <h2>Workload</h2>
  <table class="annual-table">
    <caption>Hours worked beyond contract</caption>
    <thead>
      <tr><th scope="col">Team</th><th scope="col" class="annual-table__number">People</th></tr>
    </thead>
    <tbody>
      <tr><th scope="row">Housing</th><td class="annual-table__number">41</td></tr>
      <tr><th scope="row">Planning</th><td class="annual-table__number">17</td></tr>
    </tbody>
  </table>
  <blockquote class="annual-quote"><p>The new rota helped.</p></blockquote>
</section>
</body>
</html>
"""


@pytest.fixture
def forget_engine() -> Iterator[None]:
    """Clear the kept answer about the engine before and after the test."""
    engine_problem.cache_clear()
    yield
    engine_problem.cache_clear()


def read(document: bytes) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(io.BytesIO(document))
    return reader, [page.extract_text() for page in reader.pages]


@needs_engine
def test_the_annual_report_prints_with_page_numbers_and_contents() -> None:
    document = html_to_pdf(REPORT, stylesheets=[str(ANNUAL_STYLESHEET)])
    assert document.startswith(b"%PDF")
    reader, pages = read(document)
    # The cover, then the contents, then each section on a page of its own.
    assert len(reader.pages) >= 3
    text = "\n".join(pages)
    assert "Feeling heard" in text and "Workload" in text
    assert "Page 1 of" not in pages[0]  # no number on the cover
    assert f"Page 2 of {len(reader.pages)}" in text
    assert "Staff survey 2025" in pages[1]  # the running header
    one = next(n for n, page in enumerate(pages, 1) if "Most people said" in page)
    two = next(n for n, page in enumerate(pages, 1) if "Hours worked" in page)
    assert 1 < one < two
    # The contents list gives each section's page number, after a dot leader.
    contents = next(page for page in pages if "Contents" in page)
    assert re.search(rf"Feeling heard[ .]*{one}\b", contents)
    assert re.search(rf"Workload[ .]*{two}\b", contents)
    assert "▲" in text  # a change is marked by a symbol, not by colour


@needs_engine
def test_only_static_files_are_loaded() -> None:
    fetcher = static_fetcher("http://candour.test/reports/annual")
    with pytest.raises(ValueError, match="Refused"):
        fetcher("http://example.com/x.png")
    with pytest.raises(ValueError, match="Refused"):
        fetcher("http://example.com/static/annual.css")  # another host
    with pytest.raises(ValueError, match="Refused"):
        fetcher("file:///etc/passwd")
    with pytest.raises(ValueError, match="Refused"):
        fetcher("http://candour.test/static/../../services/pdf.py")
    with pytest.raises(ValueError, match="Refused"):
        fetcher("http://candour.test/static/%2e%2e/%2e%2e/services/pdf.py")
    with pytest.raises(ValueError, match="Refused"):
        fetcher("ftp://candour.test/static/annual.css")
    response = fetcher("http://candour.test/static/annual.css?v=2")
    assert response.content_type == "text/css"
    assert response.read() == ANNUAL_STYLESHEET.read_bytes()
    assert fetcher(ANNUAL_STYLESHEET.as_uri()).read() == ANNUAL_STYLESHEET.read_bytes()
    assert fetcher("data:text/plain,hello").read() == b"hello"


def test_static_urls_map_to_the_static_folder() -> None:
    assert static_file(ANNUAL_STYLESHEET.as_uri()) == ANNUAL_STYLESHEET
    assert static_file("https://a.test/app/static/annual.css", base_url="https://a.test/app/") == (
        STATIC_DIR / "annual.css"
    )
    with pytest.raises(ValueError, match="Refused"):
        static_file("https://a.test/static/annual.css")  # no base URL: no http(s) at all
    with pytest.raises(ValueError, match="Refused"):
        static_file("https://a.test/static/missing.css", base_url="https://a.test/")
    with pytest.raises(ValueError, match="Refused"):
        static_file("file://elsewhere/" + str(ANNUAL_STYLESHEET))


@needs_engine
def test_a_document_linking_to_the_app_and_elsewhere_builds_offline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Any look-up or connection is recorded (the engine would swallow an exception raised here).
    attempts: list[object] = []
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: attempts.append(args))
    monkeypatch.setattr(socket.socket, "connect", lambda *args: attempts.append(args))
    html = REPORT.replace(
        "</head>", '<link rel="stylesheet" href="/static/annual.css"></head>'
    ).replace("<h2>Workload</h2>", '<h2>Workload</h2><img src="https://example.com/t.png" alt="">')
    document = html_to_pdf(html, base_url="http://candour.test/staff/annual")
    _reader, pages = read(document)
    # The linked stylesheet loaded (from the static folder): the pages are numbered.
    assert "Page 2 of" in "\n".join(pages)
    assert attempts == []


def test_without_the_engine_an_operator_is_told_what_to_install(
    monkeypatch: pytest.MonkeyPatch, forget_engine: None
) -> None:
    def missing_library() -> ModuleType:
        raise OSError("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(pdf, "_load_engine", missing_library)
    problem = engine_problem()
    assert problem is not None
    assert "weasyprint" in problem and "libpango-1.0-0" in problem and "make install" in problem
    assert "\n" not in problem
    with pytest.raises(PdfUnavailable) as raised:
        html_to_pdf(REPORT)
    assert str(raised.value) == problem
    with pytest.raises(PdfUnavailable):
        static_fetcher()


def test_without_the_package_an_operator_is_told_too(
    monkeypatch: pytest.MonkeyPatch, forget_engine: None
) -> None:
    def not_installed() -> ModuleType:
        raise ModuleNotFoundError("No module named 'weasyprint'")

    monkeypatch.setattr(pdf, "_load_engine", not_installed)
    problem = engine_problem()
    assert problem is not None and "weasyprint" in problem
