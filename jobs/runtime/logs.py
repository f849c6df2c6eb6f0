"""One logging setup for every job: readable text by default, JSON lines on demand.

``logging.format: json`` in conf (or ``--set logging.format=json``, or ``CDR_LOG_FORMAT=json``)
writes one JSON object a line with the job, run id and run date on every record, for log
shippers. Structured fields are passed with ``extra={"fields": {...}}``.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any, Dict

LOGGER_NAME = "cdr"


class JsonFormatter(logging.Formatter):
    """A JSON object a line: time (UTC, ISO 8601), level, logger, message, context, fields."""

    def __init__(self, context: Dict[str, Any]):
        super().__init__()
        self.context = context

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **self.context,
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, sort_keys=False)


class TextFormatter(logging.Formatter):
    """``2026-11-22 13:45:12 INFO  [generate 2026-11-21] message key=value ...``"""

    def __init__(self, context: Dict[str, Any]):
        super().__init__(datefmt="%Y-%m-%d %H:%M:%S")
        self.context = context

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", {})
        suffix = "".join(f" {k}={v}" for k, v in fields.items())
        tag = f"[{self.context.get('job', '-')} {self.context.get('run_date', '-')}]"
        line = f"{self.formatTime(record, self.datefmt)} {record.levelname:<5} {tag} {record.getMessage()}{suffix}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def setup_logging(fmt: str = "text", level: str = "INFO", **context: Any) -> logging.Logger:
    """Configure the project logger (idempotent) and return it.

    Parameters
    ----------
    fmt
        ``"text"`` or ``"json"``; the ``CDR_LOG_FORMAT`` environment variable wins.
    level
        Logging level name.
    **context
        Fields stamped on every record (job, run_id, run_date).
    """
    fmt = os.environ.get("CDR_LOG_FORMAT", fmt)
    logger = logging.getLogger(LOGGER_NAME)
    logger.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(context) if fmt == "json" else TextFormatter(context))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return logger


def get_logger() -> logging.Logger:
    return logging.getLogger(LOGGER_NAME)
