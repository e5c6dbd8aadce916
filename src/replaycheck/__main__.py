"""``python -m replaycheck`` runs the command line."""

from replaycheck.cli import entry

entry()
