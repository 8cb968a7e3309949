"""Problems found while loading questionnaire files.

A :class:`Problem` says where something is wrong (the file and an RFC 6901 JSON pointer into
it) and why, in plain English. The loader collects every problem it can find before giving up,
so an author can fix a file in one pass rather than one error at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a questionnaire file.

    ``pointer`` is a JSON pointer such as ``/sections/1/questions/3/show_if/question``;
    ``/`` stands for the whole document (for example a YAML syntax error).
    """

    file: str
    pointer: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.pointer}: {self.reason}"


class QuestionnaireError(Exception):
    """One or more questionnaire files are invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        # Pass the problems (not the message) so the error survives pickling.
        super().__init__(self.problems)

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)
