"""Vendor failures, normalised.

Each vendor client maps its own wire errors into these classes inside its own module;
nothing above the provider layer ever sees an ``httpx`` exception or a vendor body.
Messages never contain API keys.

    ProviderError (StudioError)
    ├── ProviderNotConfigured     no key for this provider (503, not retryable)
    ├── ProviderAuthError         bad key, vendor account unusable (502, not retryable)
    ├── ProviderBadRequest        the vendor refused our request (502; 422 if user input caused it)
    ├── ProviderContentRejected   moderation refused the prompt or output (422, not retryable)
    ├── ProviderRateLimited       429; ``retry_after`` seconds when the vendor says (retryable)
    ├── ProviderUnavailable       5xx, model loading, job failed on the vendor side (retryable)
    ├── ProviderTimeout           a phase ran out of time (retryable only where repeating is safe)
    └── ProviderProtocolError     the response could not be understood (502, not retryable)
"""

from __future__ import annotations

from typing import Any, ClassVar

from imagestudio.errors import StudioError


class ProviderError(StudioError):
    """A vendor call failed. ``retryable`` says whether repeating the same call may succeed."""

    code = "provider_error"
    http_status = 502
    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        retry_after: float | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, details=details)
        self.provider = provider
        self.retry_after = retry_after
        self.details.setdefault("provider", provider)


class ProviderNotConfigured(ProviderError):
    code = "provider_not_configured"
    http_status = 503


class ProviderAuthError(ProviderError):
    code = "provider_auth_error"
    http_status = 502


class ProviderBadRequest(ProviderError):
    code = "provider_bad_request"
    http_status = 502


class ProviderContentRejected(ProviderError):
    code = "content_rejected"
    http_status = 422


class ProviderRateLimited(ProviderError):
    code = "provider_rate_limited"
    http_status = 503
    retryable = True


class ProviderUnavailable(ProviderError):
    code = "provider_unavailable"
    http_status = 503
    retryable = True


class ProviderTimeout(ProviderError):
    code = "provider_timeout"
    http_status = 504
    retryable = True


class ProviderProtocolError(ProviderError):
    code = "provider_protocol_error"
    http_status = 502


class ProviderOutcomeUnknown(ProviderTimeout):
    """The request reached the vendor but no answer came back (read timeout, dropped
    connection after sending). The vendor may have run and billed it, so it is never
    re-sent and never replaced by a fallback call."""

    code = "provider_outcome_unknown"
    retryable = False
