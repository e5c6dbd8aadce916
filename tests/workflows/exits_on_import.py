"""A workflow module that ends the process while it is imported (a test of the replay worker)."""

import os
import sys

if os.environ.get("REPLAYCHECK_TEST_IMPORT") == "block":
    import time

    time.sleep(3600)
print("DATABASE_URL is not set", file=sys.stderr)  # what a real module might say first
sys.exit(3)
