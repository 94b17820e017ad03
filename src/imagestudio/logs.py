"""Log records as JSON lines with the request and job they belong to.

``IMAGESTUDIO_LOG_FORMAT=json`` (see ``imagestudio serve`` / ``worker``) installs
:class:`JsonFormatter` on the root logger. The API sets :data:`request_id` per request
(from ``X-Request-ID`` or a new one, echoed in the answer) and the job runner sets
:data:`job_id` while it runs a job; every record logged meanwhile carries them.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import sys

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "imagestudio_request_id", default=None)
job_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "imagestudio_job_id", default=None)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, var in (("request_id", request_id), ("job_id", job_id)):
            value = var.get()
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(log_format: str, level: str = "info") -> None:
    """Send every log record to stderr, one JSON object a line when ``log_format`` is
    ``json`` (else leave logging as it is)."""
    if log_format != "json":
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "procrastinate"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
