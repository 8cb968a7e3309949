"""Unit tests for ``analysis``."""
