"""A temporalio ``Runtime`` that keeps core's log lines off stdout."""

from __future__ import annotations

import logging
from typing import Any


def silent_runtime(logger_name: str) -> Any:
    """A new ``Runtime`` whose core logs (ERROR and up) go to the logger ``logger_name``, which
    writes nowhere: core otherwise prints a WARN line per failure or retry to stdout, and what
    matters reaches the caller as an exception or a verdict anyway."""
    from temporalio.runtime import (
        LogForwardingConfig,
        LoggingConfig,
        Runtime,
        TelemetryConfig,
        TelemetryFilter,
    )

    logger = logging.getLogger(logger_name)
    logger.propagate = False
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    logging_config = LoggingConfig(
        filter=TelemetryFilter(core_level="ERROR", other_level="ERROR"),
        forwarding=LogForwardingConfig(logger=logger),
    )
    return Runtime(telemetry=TelemetryConfig(logging=logging_config, metrics=None))
