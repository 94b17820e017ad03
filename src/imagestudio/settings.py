"""Runtime configuration, read from the environment and an optional ``.env`` file.

Nothing reads settings at import time: the API and CLI entry points call
:func:`get_settings` once and pass the object (or parts of it) down.
Vendor keys use the names the vendors' own docs use (``STABILITY_API_KEY`` …);
everything else is prefixed ``IMAGESTUDIO_``. Each vendor's variables (key, base URL,
concurrency cap) are derived from :data:`imagestudio.vendors.VENDORS`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, create_model
from pydantic_settings import BaseSettings, SettingsConfigDict

from imagestudio.vendors import VENDORS, Vendor, vendor


class ProviderSettings(BaseModel):
    """One vendor's connection settings, as handed to its client."""

    name: str
    api_key: SecretStr | None
    base_url: str
    timeout_s: float
    max_concurrency: int

    @property
    def configured(self) -> bool:
        return self.api_key is not None and bool(self.api_key.get_secret_value())

    @property
    def key_env(self) -> str:
        """The variable to set for this vendor's key."""
        known = VENDORS.get(self.name)
        return known.key_env if known else f"the {self.name} API key"


def _vendor_fields(spec: Vendor) -> dict[str, Any]:
    """``<id>_api_key``, ``<id>_base_url`` and ``<id>_max_concurrency`` of one vendor."""
    note = f"; {spec.concurrency_note}" if spec.concurrency_note else ""
    return {
        f"{spec.id}_api_key": (SecretStr | None, Field(
            default=None,
            validation_alias=AliasChoices(*spec.key_envs),
            description=f"API key ({spec.key_env}).",
        )),
        f"{spec.id}_base_url": (str, Field(
            default=spec.base_url, description=f"{spec.name} base URL ({spec.base_url_env})."
        )),
        f"{spec.id}_max_concurrency": (int | None, Field(
            default=spec.max_concurrency, ge=1,
            description=f"{spec.name} calls in flight (None: provider_max_concurrency){note}.",
        )),
    }


if TYPE_CHECKING:
    _VendorSettings = BaseSettings
else:
    # Every vendor's variables, derived from imagestudio.vendors (read with getattr).
    _VendorSettings = create_model(
        "_VendorSettings",
        __base__=BaseSettings,
        **{name: f for spec in VENDORS.values() for name, f in _vendor_fields(spec).items()},
    )


class Settings(_VendorSettings):
    model_config = SettingsConfigDict(
        env_prefix="IMAGESTUDIO_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    data_dir: Path = Field(
        default=Path("imagestudio-data"), description="Where the database and assets live."
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy async URL; default: SQLite file in data_dir."
    )
    storage_url: str | None = Field(
        default=None,
        pattern=r"^s3://[^/]+(/.*)?$",
        description="Asset files in an S3-compatible bucket (s3://bucket/prefix; the 's3' "
        "extra); default: files under data_dir/assets.",
    )
    s3_endpoint_url: str | None = Field(
        default=None, description="S3 endpoint (MinIO, moto, R2 …); default: AWS."
    )
    s3_region: str = Field(default="us-east-1", description="S3 region.")
    s3_access_key_id: str | None = Field(default=None, description="S3 access key id.")
    s3_secret_access_key: SecretStr | None = Field(default=None, description="S3 secret key.")
    storage_downloads: Literal["stream", "redirect"] = Field(
        default="stream",
        description="How the API serves S3 files: 'stream' them itself, or 'redirect' (307) "
        "to a presigned URL that expires no later than the signed link.",
    )
    max_concurrent_variations: int = Field(
        default=10,
        ge=1,
        le=10,
        description="Variations of one request generated at once (vendors have own limits).",
    )
    allow_provider_requests: bool = Field(
        default=True, description="Master switch for calls to vendor APIs (off in tests)."
    )
    single_user: bool = Field(
        default=False,
        description=(
            "Local single-user mode (`serve --single-user`): browsers on this machine may ask "
            "POST /api/image-studio/ui/local-session for a key of the user 'local'. Only "
            "loopback clients are answered; the UI always says it is in this mode."
        ),
    )

    single_user_plan: str = Field(
        default="enterprise",
        description="Plan of the 'local' user that single-user mode creates (no quota stops "
        "the owner of the machine; paid models still need credits).",
    )
    plans_file: Path | None = Field(
        default=None, description="Plan table (YAML); default: the packaged plans.yaml."
    )
    credits_hold_timeout_s: float = Field(
        default=900.0,
        ge=0,
        description=(
            "Age after which an open credit hold counts as abandoned (its process died) and "
            "is settled by the sweep; keep it above generation_budget_s."
        ),
    )
    credits_sweep_interval_s: float = Field(
        default=60.0, gt=0, description="How often a running server sweeps abandoned holds."
    )
    blob_grace_s: float = Field(
        default=3600.0,
        ge=0,
        description=(
            "How long a stored file outlives its last reference (and a write's claim lasts) "
            "before the blob garbage collector removes it; keep it far above the time a "
            "create takes from storing its files to recording them."
        ),
    )
    blob_gc_interval_s: float = Field(
        default=600.0, gt=0, description="How often a running server collects unused files."
    )
    job_concurrency: int = Field(
        default=4, ge=1, le=64, description="Asynchronous jobs a serving process runs at once."
    )
    job_queue: Literal["embedded", "procrastinate"] = Field(
        default="embedded",
        description="Where asynchronous jobs run: 'embedded' (in the serve process) or "
        "'procrastinate' (PostgreSQL only: `imagestudio worker` processes run them, and the "
        "hold sweep, webhook retries and blob collection run once per deployment).",
    )
    rate_limit_shared: bool = Field(
        default=False,
        description="Share the per-user request rate limit between processes through "
        "PostgreSQL (on by itself with `serve --workers N` and with the Procrastinate "
        "queue; SQLite keeps it in the one serving process).",
    )
    job_stalled_s: float = Field(
        default=30.0, ge=2, le=3600,
        description="With the Procrastinate queue: a job whose worker sent no heartbeat for "
        "this long is handed to another worker (which resumes it, never re-sends paid work).",
    )
    job_events_retention_days: float = Field(
        default=30.0, gt=0,
        description="Days a finished job's events (its SSE stream) are kept after it ended; "
        "the job itself (state, result) is kept.",
    )
    webhook_deliveries_retention_days: float = Field(
        default=30.0, gt=0,
        description="Days a finished webhook delivery (succeeded or failed) stays in the "
        "delivery log; one still being retried is never deleted.",
    )
    retention_interval_s: float = Field(
        default=3600.0, gt=0,
        description="How often a serving process (embedded mode) prunes past retention; "
        "on the Procrastinate queue a periodic task does it hourly.",
    )
    video_poll_interval_s: float | None = Field(
        default=None, gt=0, le=60,
        description="Seconds between polls of a vendor's video job (default: the model's "
        "own from the catalog: 10 s for Veo, 5 s for WAN).",
    )
    webhook_development: bool = Field(
        default=False,
        description="Development settings for webhooks: http to loopback hosts and private "
        "addresses allowed (production: https to public addresses only).",
    )
    idempotency_ttl_s: float = Field(
        default=86_400.0, gt=0, description="How long a completed Idempotency-Key is replayed."
    )

    provider_timeout_s: float = Field(default=120.0, gt=0, description="Per-call vendor budget.")
    provider_max_concurrency: int = Field(
        default=4, ge=1, description="Calls in flight per vendor without a cap of its own."
    )

    retry_max_attempts: int = Field(
        default=3, ge=1, le=10, description="Calls per model for one image (1 = no retry)."
    )
    retry_base_delay_s: float = Field(
        default=0.5, ge=0, description="First retry back-off; doubles each retry (± jitter)."
    )
    retry_max_delay_s: float = Field(default=8.0, ge=0, description="Longest back-off.")
    retry_max_after_s: float = Field(
        default=30.0,
        ge=0,
        description="Longest Retry-After honoured; a longer one falls back to the next model.",
    )
    generation_budget_s: float = Field(
        default=300.0, gt=0, description="Time for one image, retries and fallbacks included."
    )
    breaker_failures: int = Field(
        default=5, ge=1, description="Consecutive failures that put a vendor in cooldown."
    )
    breaker_cooldown_s: float = Field(
        default=30.0, gt=0, description="How long a vendor in cooldown is skipped."
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'imagestudio.db').resolve()}"

    def provider(self, name: str) -> ProviderSettings:
        """Connection settings for vendor ``name`` (KeyError for an unknown one)."""
        vendor(name)
        return ProviderSettings(
            name=name,
            api_key=getattr(self, f"{name}_api_key"),
            base_url=getattr(self, f"{name}_base_url"),
            timeout_s=self.provider_timeout_s,
            max_concurrency=self.max_concurrency(name),
        )

    def max_concurrency(self, name: str) -> int:
        """Calls allowed in flight at once for provider ``name``."""
        specific: int | None = getattr(self, f"{name}_max_concurrency", None)
        return specific or self.provider_max_concurrency


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; only entry points (API app, CLI) call this."""
    return Settings()
