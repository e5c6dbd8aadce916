"""Replay recorded Temporal workflow histories against new code to catch nondeterminism."""

__version__ = "0.1.0"
