"""Project settings as many apps keep them: paths resolved when the module is imported.

``Path.resolve()`` reads the file system, which temporalio's sandbox forbids in workflow code, so
a workflow module that imports this one replays only with it passed through the sandbox
(``passthrough_modules``), as the app's worker passes it through.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent
