"""The staff stylesheet: every class the staff templates use is styled, and it loads nothing
from elsewhere (the shared "cd-" classes are checked against candour.css in test_components)."""

from __future__ import annotations

import re
from pathlib import Path

import survey_app

WEB = Path(survey_app.__file__).parent / "web"
STAFF_CSS = WEB / "static" / "staff.css"


def test_every_staff_class_is_styled() -> None:
    styled = set(re.findall(r"\.(staff-[a-z0-9_-]+)", STAFF_CSS.read_text(encoding="utf-8")))
    used: set[str] = set()
    for template in (WEB / "templates").rglob("*.html"):
        for attribute in re.findall(r'class="([^"]*)"', template.read_text(encoding="utf-8")):
            without_jinja = re.sub(r"\{[{%].*?[%}]\}", " ", attribute)
            used |= {c for c in without_jinja.split() if c.startswith("staff-")}
    assert used
    assert used - styled == set()


def test_staff_stylesheet_loads_nothing_from_elsewhere() -> None:
    text = STAFF_CSS.read_text(encoding="utf-8")
    assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}|@import|url\(", text, re.I)
