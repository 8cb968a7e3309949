"""Every error message a respondent can see on a question page, in one place.

GOV.UK voice: say what to do ("Select…", "Enter…"), short, no blame, no jargon.
"""

from __future__ import annotations

SELECT_ONE = "Select an answer to ‘{question}’"
SELECT_STATEMENT = "Select an answer for ‘{statement}’"
SELECT_AT_LEAST_ONE = "Select at least one answer to ‘{question}’"
NOT_OFFERED = "Select one of the answers shown for ‘{question}’"
EXCLUSIVE = "Select ‘{option}’ on its own, or select the other answers that apply, not both"
ENTER_TEXT = "Enter an answer to ‘{question}’"
TOO_LONG = "Your answer to ‘{question}’ must be {limit:,} characters or fewer – it is {length:,}"
ENTER_NUMBER = "Enter a number for ‘{question}’"
WHOLE_NUMBER = "Enter a whole number for ‘{question}’, like {example}"
NUMBER_RANGE = "Enter a number between {minimum:,} and {maximum:,} for ‘{question}’"
DRAFT_TOO_LARGE = (
    "Your answers are too long to keep in this browser. Shorten your longest answer and select "
    "Continue again"
)
