"""pytest plugin: every stored history becomes a test item (see docs/pytest.md)."""
