"""Analysis of survey responses: pure functions and frozen results, no web framework.

``analysis.disclosure`` protects every published table against identifying anyone.
This package never imports ``survey_app``.
"""
