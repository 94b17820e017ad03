"""Issue 17 defect 3: every error code the server can send has a sentence and a next step
in the page's one table (``web/static/js/errors/messages.js``); none falls through to
"Something went wrong inside the studio", which blames the studio for a user's file."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import imagestudio
from imagestudio.api.errors import _CODES
from imagestudio.errors import StudioError

TABLE = Path(imagestudio.__file__).parent / "web" / "static" / "js" / "errors" / "messages.js"
# Codes no request of the page can meet: a verb or an Accept header it never sends, and a
# byte range asked for by the browser's video player (not through the page's API client).
NEVER_SEEN = {"method_not_allowed", "not_acceptable", "range_not_satisfiable"}
# A run's end that is not an exception: job errors written by the studio itself.
JOB_CODES = {"interrupted", "expired", "cancelled"}


def _subclasses(cls: type[StudioError]) -> Iterator[type[StudioError]]:
    yield cls
    for sub in cls.__subclasses__():
        yield from _subclasses(sub)


def server_codes() -> set[str]:
    for module in pkgutil.walk_packages(imagestudio.__path__, "imagestudio."):
        if not module.name.endswith("__main__") and ".migrations" not in module.name:
            importlib.import_module(module.name)
    studio = {cls.code for cls in _subclasses(StudioError)
              if cls.__module__.startswith("imagestudio.")}  # not the tests' own errors
    return studio | set(_CODES.values()) | JOB_CODES


def table() -> dict[str, str]:
    """code → its entry's text, from the table's source."""
    source = TABLE.read_text()
    body = source[source.index("export const ERROR_TEXT = {"):source.index("export const FALLBACK")]
    return dict(re.findall(r"^  ([a-z_]+): \{\n(.*?)^  \},", body, re.MULTILINE | re.DOTALL))


def test_every_server_error_code_has_a_sentence_and_a_next_step() -> None:
    codes = server_codes()
    assert {"provider_unavailable", "image_too_large", "video_unavailable"} <= codes  # found
    entries = table()
    missing = sorted(codes - NEVER_SEEN - set(entries))
    assert missing == []
    for code, text in entries.items():
        assert re.search(r'^    say: "', text, re.MULTILINE), code
        assert re.search(r'^    next: "', text, re.MULTILINE), code
