"""Free-text answers in a release: themes, codes and quotes, reviewed by an analyst.

``build_review`` makes the review state of one question during an analysis run; the actions
in :mod:`analysis.comments.reviewing` change it; :mod:`analysis.comments.summary` turns it
into release items (protected with everything else) and the published summary.
"""

from analysis.comments.building import build_review
from analysis.comments.model import (
    NO_THEME,
    OTHER,
    CodeInfo,
    Comment,
    Decision,
    QuestionReview,
    Quote,
    ThemeState,
)
from analysis.comments.reviewing import ReviewError
from analysis.comments.summary import (
    OTHER_CODE_LABEL,
    OTHER_THEME_LABEL,
    PublishedCode,
    PublishedTheme,
    QuestionThemes,
    code_item,
    summarise,
    theme_columns,
    theme_item,
    theme_items,
    theme_option,
)

__all__ = [
    "NO_THEME",
    "OTHER",
    "OTHER_CODE_LABEL",
    "OTHER_THEME_LABEL",
    "CodeInfo",
    "Comment",
    "Decision",
    "PublishedCode",
    "PublishedTheme",
    "QuestionReview",
    "QuestionThemes",
    "Quote",
    "ReviewError",
    "ThemeState",
    "build_review",
    "code_item",
    "summarise",
    "theme_columns",
    "theme_item",
    "theme_items",
    "theme_option",
]
