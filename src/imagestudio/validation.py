"""Turn pydantic validation errors into the one-line messages users see.

Every surface (API, CLI, UI) shows the same sentence: the field, the limit, what was given.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from imagestudio.errors import InvalidRequest

_MAX_INPUT_CHARS = 40


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "request"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_INPUT_CHARS else text[: _MAX_INPUT_CHARS - 1] + "…"


def describe_error(error: Any) -> str:
    """One sentence for one pydantic error dict."""
    field = _field(tuple(error.get("loc", ())))
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    given = error.get("input")
    messages = {
        "less_than_equal": lambda: f"{field} must be ≤ {ctx.get('le')} (got {_shown(given)})",
        "less_than": lambda: f"{field} must be < {ctx.get('lt')} (got {_shown(given)})",
        "greater_than_equal": lambda: f"{field} must be ≥ {ctx.get('ge')} (got {_shown(given)})",
        "greater_than": lambda: f"{field} must be > {ctx.get('gt')} (got {_shown(given)})",
        "string_too_long": lambda: (
            f"{field} is {len(given) if isinstance(given, str) else '?'} characters; "
            f"the limit is {ctx.get('max_length')}"
        ),
        "string_too_short": lambda: (
            f"{field} must not be empty" if ctx.get("min_length", 1) <= 1
            else f"{field} must be at least {ctx.get('min_length')} characters"
        ),
        "missing": lambda: f"{field} is required",
        "extra_forbidden": lambda: f"{field} is not a known field",
        "literal_error": lambda: (
            f"{field} must be one of {ctx.get('expected')} (got {_shown(given)})"
        ),
    }
    build = messages.get(kind)
    return build() if build else f"{field}: {error.get('msg', 'is invalid')}"


def invalid_request(exc: ValidationError) -> InvalidRequest:
    """The first error as an :class:`InvalidRequest` naming its field; all of them in details."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    problems = [
        {"field": _field(tuple(e.get("loc", ()))), "message": describe_error(e)} for e in errors
    ]
    return InvalidRequest(
        describe_error(first),
        field=_field(tuple(first.get("loc", ()))),
        details={"errors": problems},
    )
