"""API key format: ``isk_`` + 43 URL-safe random characters; only the SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "isk_"
DISPLAY_CHARS = 12
MAX_KEY_CHARS = 200


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def display_prefix(key: str) -> str:
    """The first characters, enough for a human to tell keys apart; never enough to use one."""
    return key[:DISPLAY_CHARS]


def looks_like_key(key: str) -> bool:
    return key.startswith(KEY_PREFIX) and len(key) <= MAX_KEY_CHARS and key.isascii()
