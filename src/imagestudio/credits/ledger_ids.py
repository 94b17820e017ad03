"""Opaque, per-user ledger ids: the public face of the ledger's global sequence.

Ledger rows are numbered by one global sequence; showing it would tell every user how
much the whole platform moves. :class:`LedgerIds` maps each row number through a keyed
64-bit permutation (a 4-round Feistel network over HMAC-SHA256, keyed per user), so a
user sees ids that keep no order and reveal no volume, and only the server maps them back
(the ``before`` cursor of the next page). Without a key (operator tools) ids are the
plain row numbers.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from imagestudio.errors import InvalidRequest

_ROUNDS = 4
_MASK32 = 0xFFFF_FFFF
_MAX_ROW = 2**63 - 1


class LedgerIds:
    def __init__(self, key: bytes | None) -> None:
        self._key = key

    def encode(self, user_id: str, row: int) -> str:
        """The public id of ledger row ``row`` of ``user_id``."""
        if self._key is None:
            return str(row)
        left, right = row >> 32, row & _MASK32
        user_key = _user_key(self._key, user_id)
        for round_ in range(_ROUNDS):
            left, right = right, left ^ _f(user_key, round_, right)
        return f"{(left << 32) | right:016x}"

    def decode(self, user_id: str, text: str, *, field: str = "before") -> int:
        """The row number behind a public id; InvalidRequest naming ``field`` if none."""
        try:
            if self._key is None:
                row = int(text) if text.isascii() and text.isdigit() else -1
            else:
                value = int(text, 16) if len(text) == 16 and text.isascii() else -1
                row = -1 if value < 0 else self._unmix(user_id, value)
        except ValueError:
            row = -1
        if not 1 <= row <= _MAX_ROW:
            raise InvalidRequest(f"{field} is not an id of your ledger", field=field)
        return row

    def _unmix(self, user_id: str, value: int) -> int:
        assert self._key is not None
        left, right = value >> 32, value & _MASK32
        user_key = _user_key(self._key, user_id)
        for round_ in reversed(range(_ROUNDS)):
            left, right = right ^ _f(user_key, round_, left), left
        return (left << 32) | right


@lru_cache(maxsize=1024)
def _user_key(key: bytes, user_id: str) -> bytes:
    return hmac.new(key, b"ledger-ids\0" + user_id.encode(), hashlib.sha256).digest()


def _f(user_key: bytes, round_: int, half: int) -> int:
    mac = hmac.new(user_key, bytes([round_]) + half.to_bytes(4, "big"), hashlib.sha256)
    return int.from_bytes(mac.digest()[:4], "big")
