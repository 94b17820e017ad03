"""The one error taxonomy of Image Studio.

Every failure a user can see is a :class:`StudioError`. Each class carries a stable
snake_case ``code`` and the HTTP status the API renders it with; the CLI renders the
same errors as one line plus a non-zero exit code. Errors are translated into this
taxonomy where they enter (vendor clients, request parsing, storage) and rendered in
exactly one place per surface.

    StudioError
    ├── InvalidRequest (422)            a field breaks a documented limit
    │   └── UnsupportedByModel (422)    the chosen model cannot honour a parameter
    ├── NotFound (404)
    ├── Conflict (409)                  idempotency-key reuse, state races
    ├── Unauthorized (401)
    ├── Forbidden (403)
    │   └── PlanForbids (403)           the account's plan does not include this
    ├── InsufficientCredits (402)
    ├── QuotaExceeded (429)
    ├── RateLimited (429)
    ├── PayloadTooLarge (413)
    ├── GenerationFailed (502)          every variation of a create failed
    ├── RecordingFailed (500)           outputs were delivered and charged, but not yet
    │                                   in the library (the next sweep puts them there)
    └── providers.errors.ProviderError  vendor failures (see that module)
"""

from __future__ import annotations

from typing import Any, ClassVar


class StudioError(Exception):
    """Root of every user-visible error.

    ``message`` is one line, safe to show to the user (never a secret, never a traceback).
    ``field`` names the request field at fault, when there is one. ``details`` holds
    structured, JSON-serialisable context (limits, remaining amounts).
    """

    code: ClassVar[str] = "internal_error"
    http_status: ClassVar[int] = 500

    def __init__(
        self, message: str, *, field: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details: dict[str, Any] = dict(details or {})
        if field is not None:
            self.details.setdefault("field", field)


class InvalidRequest(StudioError):
    code = "invalid_request"
    http_status = 422


class UnsupportedByModel(InvalidRequest):
    code = "unsupported_by_model"


class NotFound(StudioError):
    code = "not_found"
    http_status = 404


class Conflict(StudioError):
    code = "conflict"
    http_status = 409


class Unauthorized(StudioError):
    code = "unauthorized"
    http_status = 401


class Forbidden(StudioError):
    code = "forbidden"
    http_status = 403


class PlanForbids(Forbidden):
    code = "plan_forbids"


class InsufficientCredits(StudioError):
    code = "insufficient_credits"
    http_status = 402


class _RetryableLimit(StudioError):
    """A limit that lifts by itself; ``retry_after`` is in seconds."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        field: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, field=field, details=details)
        self.retry_after = retry_after


class QuotaExceeded(_RetryableLimit):
    code = "quota_exceeded"
    http_status = 429


class RateLimited(_RetryableLimit):
    code = "rate_limited"
    http_status = 429


class PayloadTooLarge(StudioError):
    code = "payload_too_large"
    http_status = 413


class GenerationFailed(StudioError):
    """Every variation of a generation failed; ``details['variations']`` says why each did."""

    code = "generation_failed"
    http_status = 502


class RecordingFailed(StudioError):
    """The vendor delivered (and was paid), the charge is captured, the files are stored,
    but their library rows could not be written; the sweep records them shortly."""

    code = "recording_failed"
    http_status = 500


class VideoUnavailable(StudioError):
    """Video needs the optional ``[video]`` extra (PyAV), which is not installed."""

    code = "video_unavailable"
    http_status = 503
