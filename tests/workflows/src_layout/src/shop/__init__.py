"""A project in a src layout (``src/shop``), imported as ``shop`` once ``src`` is on the path."""
