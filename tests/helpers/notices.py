"""A filled-in notices file, as a council would write one, for production settings."""

from __future__ import annotations

from pathlib import Path

from survey_app.notices import DEMO


def filled_notices(directory: Path) -> str:
    """A council's own notices file: the demonstration's fields, at a path of its own."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "notices.yaml"
    text = DEMO.read_text(encoding="utf-8").replace("Example Borough Council", "Testford Council")
    path.write_text(text, encoding="utf-8")
    return str(path)
