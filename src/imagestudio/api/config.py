"""HTTP-server settings (``IMAGESTUDIO_*``), kept apart from the core :class:`Settings`."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServerSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="IMAGESTUDIO_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    url_secret: SecretStr | None = Field(
        default=None,
        description="HMAC key for signed download URLs; default: generated once under data_dir.",
    )
    signed_url_ttl_s: int = Field(
        default=3600, ge=60, le=7 * 86400, description="Lifetime of a signed URL."
    )
    public_url: str | None = Field(
        default=None,
        description="Base of absolute URLs in responses; default: the request's, for an "
        "allowed host, else URLs are relative.",
    )
    allowed_hosts: str = Field(
        default="localhost,127.0.0.1,::1",
        description="Comma-separated host names (any port) whose Host header may appear in "
        "absolute URLs when public_url is unset; other hosts get relative URLs. '*': any.",
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest JSON request body (413 beyond)."
    )
    max_upload_bytes: int = Field(
        default=20 * 1_048_576, ge=1024, description="Largest uploaded image file."
    )
    max_upload_pixels: int = Field(
        default=40_000_000, ge=1, description="Most pixels an uploaded image may declare."
    )
    image_url_hosts: str = Field(
        default="", description="Comma-separated hosts an input image_url may name "
        "('*.example.com': its subdomains; '*': any public host). Empty: URL inputs are "
        "refused. Every address the host resolves to must be public.",
    )
    image_url_timeout_s: float = Field(
        default=10.0, gt=0, le=120,
        description="One deadline for fetching an image_url (DNS, redirects, body).",
    )
    image_url_development: bool = Field(
        default=False, description="Let image_url reach loopback addresses (tests, local "
        "development); private, link-local and metadata addresses stay refused.",
    )
    auth_cache_ttl_s: float = Field(
        default=5.0, ge=0, description="How long a verified key is trusted without a query."
    )
    auto_migrate: bool | None = Field(
        default=None, description="Apply migrations at start-up; default: only for SQLite."
    )
    worker_threads: int | None = Field(
        default_factory=lambda: (os.cpu_count() or 1) + 1,
        ge=1,
        le=64,
        description="Threads for image work (decode, render, encode); None: asyncio's default.",
    )
    metrics_token: SecretStr | None = Field(
        default=None, description="Serve Prometheus metrics at /metrics to callers sending "
        "'Authorization: Bearer <token>' (unset: no /metrics).",
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="'json': one JSON object a log line, with request and "
        "job ids (and an X-Request-ID on every answer).",
    )
    enable_instant_provider: bool = Field(
        default=False, description="Register the 'instant' benchmark provider."
    )


def url_secret(server: ServerSettings, data_dir: Path) -> bytes:
    """The configured secret, else one generated once and kept in ``data_dir/url_secret``."""
    if server.url_secret is not None:
        return server.url_secret.get_secret_value().encode()
    path = data_dir / "url_secret"
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(32))
    return path.read_bytes().strip()
