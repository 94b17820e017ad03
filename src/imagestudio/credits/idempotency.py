"""``Idempotency-Key``: a retry returns the first outcome and never holds or charges twice.

The key is claimed in the hold's own transaction, so of two concurrent requests with one
key exactly one holds; the other is told the first is still running (409). The first
outcome is stored in the transaction that settles the hold. A key reused with a different
body (or on another endpoint) is a 409 too. Any operation can use this: it names its
``scope`` and hands over its body.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from imagestudio.credits.repository import KeyRecord
from imagestudio.errors import Conflict, InvalidRequest

HEADER = "Idempotency-Key"
MAX_KEY_CHARS = 255


@dataclass(frozen=True)
class KeyedRequest:
    """A request sent with an idempotency key: who, which key, where, and its body hash."""

    user_id: str
    key: str
    scope: str
    request_hash: str


def check_key(key: str) -> str:
    """The key if it is 1–255 visible ASCII characters; InvalidRequest otherwise."""
    if not 1 <= len(key) <= MAX_KEY_CHARS or not all(33 <= ord(c) <= 126 for c in key):
        raise InvalidRequest(
            f"{HEADER} must be 1-{MAX_KEY_CHARS} visible ASCII characters (no spaces)",
            field=HEADER,
        )
    return key


def keyed(user_id: str, key: str | None, scope: str, body: BaseModel) -> KeyedRequest | None:
    if key is None:
        return None
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(f"{scope}\n{canonical}".encode()).hexdigest()
    return KeyedRequest(user_id, check_key(key), scope, digest)


def first_outcome(request: KeyedRequest, record: KeyRecord) -> dict[str, Any]:
    """The stored outcome ``request`` replays; Conflict when it cannot be replayed."""
    if record.request_hash != request.request_hash or record.scope != request.scope:
        raise Conflict(
            f"this {HEADER} was already used with a different request; use a new key",
            field=HEADER,
        )
    if record.status != "completed" or record.response is None:
        raise Conflict(
            f"a request with this {HEADER} is still being processed; retry shortly",
            field=HEADER,
        )
    if "interrupted" in record.response:
        interrupted = record.response["interrupted"]
        raise Conflict(
            f"the first request with this {HEADER} was interrupted after delivering "
            f"{interrupted['delivered']} image(s) (generation {record.generation_id}); "
            "they are in your library",
            field=HEADER,
            details={"generation_id": record.generation_id},
        )
    return record.response
