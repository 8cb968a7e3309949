"""The deployment's privacy notice and accessibility statement, read from one YAML file.

A council running Candour is the data controller for its surveys, and the Public Sector Bodies
Accessibility Regulations 2018 apply to its pages. What only the council can say -- who it is,
its data protection officer, its lawful basis, how long it keeps responses, who holds the
survey keys, what it knows does not yet work -- comes from ``SURVEY_NOTICES_FILE`` (start
from ``template.yaml`` beside this module). Production refuses to start without that file,
and any field left empty or still holding a ``<placeholder>`` is refused with the file, the
field and the reason. Development uses ``demo.yaml``, whose values say they are examples.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "template.yaml"
DEMO = HERE / "demo.yaml"

COMPLIANCE = {
    "full": "fully compliant",
    "partial": "partially compliant",
    "none": "not compliant",
}
PLACEHOLDER = re.compile(r"<[^<>]+>")
TEXT_FIELDS = (
    "organisation",
    "contact",
    "dpo",
    "lawful_basis",
    "special_category_condition",
    "retention",
)
ACCESSIBILITY_TEXT = ("contact", "tested")


class NoticesError(ValueError):
    """The notices file is missing, unreadable or incomplete."""


@dataclass(frozen=True)
class Accessibility:
    compliance: str  # a key of COMPLIANCE
    known_issues: tuple[str, ...]
    contact: str
    tested: str
    prepared_on: dt.date
    reviewed_on: dt.date

    @property
    def status(self) -> str:
        return COMPLIANCE[self.compliance]


@dataclass(frozen=True)
class Notices:
    organisation: str
    contact: str
    dpo: str
    lawful_basis: str
    special_category_condition: str
    retention: str
    key_holder_roles: tuple[str, ...]
    processors: tuple[str, ...]
    accessibility: Accessibility


def load_notices(path: str | Path) -> Notices:
    """Read and check a notices file; every problem names the file, the field and the reason."""
    import yaml  # a dependency of the questionnaire loader

    where = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise NoticesError(f"{where}: cannot be read ({error})") from None
    if not isinstance(data, dict):
        raise NoticesError(f"{where}: must be a mapping of the fields in template.yaml")
    reader = _Reader(where)
    reader.unknown(data, (*TEXT_FIELDS, "key_holder_roles", "processors", "accessibility"), "")
    texts = {name: reader.text(data, name) for name in TEXT_FIELDS}
    roles = reader.texts(data, "key_holder_roles")
    processors = reader.texts(data, "processors", allow_empty=True)
    access = data.get("accessibility")
    if not isinstance(access, dict):
        raise NoticesError(f"{where}: accessibility: must be a mapping (see template.yaml)")
    reader.unknown(
        access,
        ("compliance", "known_issues", *ACCESSIBILITY_TEXT, "prepared_on", "reviewed_on"),
        "accessibility.",
    )
    compliance = reader.text(access, "compliance", "accessibility.")
    if compliance not in COMPLIANCE:
        choices = ", ".join(COMPLIANCE)
        raise NoticesError(f"{where}: accessibility.compliance: must be one of {choices}")
    issues = reader.texts(access, "known_issues", "accessibility.", allow_empty=True)
    if compliance != "full" and not issues:
        raise NoticesError(
            f"{where}: accessibility.known_issues: list what does not yet work "
            "(a statement that is not 'full' must say)"
        )
    prepared = reader.date(access, "prepared_on", "accessibility.")
    reviewed = reader.date(access, "reviewed_on", "accessibility.", default=prepared)
    if reviewed < prepared:
        raise NoticesError(f"{where}: accessibility.reviewed_on: is before prepared_on")
    return Notices(
        **texts,
        key_holder_roles=roles,
        processors=processors,
        accessibility=Accessibility(
            compliance=compliance,
            known_issues=issues,
            contact=reader.text(access, "contact", "accessibility."),
            tested=reader.text(access, "tested", "accessibility."),
            prepared_on=prepared,
            reviewed_on=reviewed,
        ),
    )


class _Reader:
    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, field: str, reason: str) -> NoticesError:
        return NoticesError(f"{self.where}: {field}: {reason}")

    def unknown(self, data: dict[str, Any], known: tuple[str, ...], prefix: str) -> None:
        for name in data:
            if name not in known:
                raise self.fail(f"{prefix}{name}", "is not a field of the notices file")

    def text(self, data: dict[str, Any], name: str, prefix: str = "") -> str:
        value = data.get(name)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{prefix}{name}", "is missing or empty")
        return self._filled(value, f"{prefix}{name}")

    def texts(
        self, data: dict[str, Any], name: str, prefix: str = "", allow_empty: bool = False
    ) -> tuple[str, ...]:
        value = data.get(name, [] if allow_empty else None)
        if not isinstance(value, list) or (not value and not allow_empty):
            raise self.fail(f"{prefix}{name}", "must be a list of one or more lines of text")
        items = []
        for index, item in enumerate(value, start=1):
            if not isinstance(item, str) or not item.strip():
                raise self.fail(f"{prefix}{name}[{index}]", "is empty")
            items.append(self._filled(item, f"{prefix}{name}[{index}]"))
        return tuple(items)

    def date(
        self, data: dict[str, Any], name: str, prefix: str, default: dt.date | None = None
    ) -> dt.date:
        value = data.get(name, default)
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                value = None
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise self.fail(f"{prefix}{name}", "must be a date written as YYYY-MM-DD")
        return value

    def _filled(self, value: str, field: str) -> str:
        placeholder = PLACEHOLDER.search(value)
        if placeholder:
            raise self.fail(field, f"still holds the placeholder {placeholder.group(0)}")
        return " ".join(value.split())
