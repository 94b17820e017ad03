"""Turn pydantic validation errors into the one-line messages users see.

Every surface (API, CLI, UI) shows the same sentence: the field, the limit, what was given.
"""

from __future__ import annotations

import functools
import re
from typing import Annotated, Any, TypeVar

from annotated_types import MaxLen
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from imagestudio.errors import InvalidRequest

_MAX_INPUT_CHARS = 40
# Text a supported database refuses: NUL (PostgreSQL's text and jsonb) and unpaired
# surrogates (no UTF-8 form; JSON's "\\ud800" decodes to one). Refused at the boundary,
# before anything is held or written.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
T = TypeVar("T")


def is_storable(text: str) -> bool:
    """Whether every supported database can store (and so look up) ``text``."""
    return _UNSTORABLE.search(text) is None


def storable(value: T) -> T:
    """``value`` (a string, or strings nested in lists, tuples and dicts) unchanged; a
    ``text_unstorable`` error naming the first character no supported database stores."""
    if isinstance(value, str):
        found = _UNSTORABLE.search(value)
        if found is not None:
            raise PydanticCustomError(
                "text_unstorable", "contains {char} at position {position}, which cannot be stored",
                {"char": f"U+{ord(found.group()):04X}", "position": found.start()},
            )
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            storable(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            storable(key)
            storable(item)
    return value


StorableText = Annotated[str, AfterValidator(storable)]


class StorableInput(BaseModel):
    """Base of every request shape: every string (nested ones too) must be
    :func:`storable` (a request model that must also read multipart form strings as
    numbers uses this base alone)."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return storable(value)


class PublicInput(StorableInput):
    """Base of the public JSON request shapes: unknown fields are refused, types are strict
    (no ``"3"`` or ``true`` for a number, no ``0`` for a boolean), surrounding whitespace
    is stripped and every string (nested ones too) must be :func:`storable`."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)

    @field_validator("*", mode="before")
    @classmethod
    def _documented_length(cls, value: Any, info: ValidationInfo) -> Any:
        # The schema's maxLength counts the string as sent, before it is stripped.
        if isinstance(value, str) and info.field_name is not None:
            limit = _max_lengths(cls).get(info.field_name)
            if limit is not None and len(value) > limit:
                raise PydanticCustomError(
                    "string_too_long", "String should have at most {max_length} characters",
                    {"max_length": limit},
                )
        return value


@functools.cache
def _max_lengths(model: type[BaseModel]) -> dict[str, int]:
    """The ``max_length`` of each of ``model``'s fields that has one."""
    return {name: limit for name, field in model.model_fields.items()
            for limit in [next((m.max_length for m in field.metadata
                                if isinstance(m, MaxLen)), None)] if limit is not None}


_LOCATIONS = ("body", "query", "path", "header", "form", "cookie")


def field_of(loc: tuple[Any, ...]) -> str:
    """The dotted field name of an error location."""
    # Only a leading location is dropped: a parameter may itself be called "query".
    if len(loc) == 1 and loc[0] in _LOCATIONS:
        return str(loc[0])  # the whole body (or query …) is wrong
    parts = [str(p) for p in (loc[1:] if loc and loc[0] in _LOCATIONS else loc)]
    return ".".join(parts) or "request"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_INPUT_CHARS else text[: _MAX_INPUT_CHARS - 1] + "…"


def describe_error(error: Any) -> str:
    """One sentence for one pydantic error dict."""
    field = field_of(tuple(error.get("loc", ())))
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
        "model_attributes_type": lambda: f"{field} must be a JSON object",
        "dict_type": lambda: f"{field} must be a JSON object",
        "model_type": lambda: f"{field} must be a JSON object",
        "extra_forbidden": lambda: f"{field} is not a known field",
        "text_unstorable": lambda: (
            f"{field} must not contain {ctx.get('char')} (found at position {ctx.get('position')})"
        ),
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
        {"field": field_of(tuple(e.get("loc", ()))), "message": describe_error(e)} for e in errors
    ]
    return InvalidRequest(
        describe_error(first),
        field=field_of(tuple(first.get("loc", ()))),
        details={"errors": problems},
    )
