"""Themes in free-text comments: group similar comments and name each group.

``ThemeModel(...).fit(texts)`` gives a theme per comment (``labels_``) and the themes
themselves (``themes_``: :class:`Theme` with a label, key phrases, size and typical
comments). See ``analysis/themes/README.md`` for the engines and how the number of themes
is chosen. ``analysis.themes.semantic`` (sentence embeddings) is imported only when used.
"""

from analysis.themes.model import Theme, ThemeEngineError, ThemeModel

__all__ = ["Theme", "ThemeEngineError", "ThemeModel"]
