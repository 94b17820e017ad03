"""Runtime configuration, read from the environment and an optional ``.env`` file.

Nothing reads settings at import time: the API and CLI entry points call
:func:`get_settings` once and pass the object (or parts of it) down.
Vendor keys use the names the vendors' own docs use (``STABILITY_API_KEY`` …);
everything else is prefixed ``IMAGESTUDIO_``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROVIDER_IDS = ("stability", "wavespeed", "huggingface", "gemini", "openai")


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


def _key(name: str) -> SecretStr | None:
    return Field(
        default=None,
        validation_alias=AliasChoices(name, f"IMAGESTUDIO_{name}"),
        description=f"API key ({name}).",
    )


class Settings(BaseSettings):
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
    idempotency_ttl_s: float = Field(
        default=86_400.0, gt=0, description="How long a completed Idempotency-Key is replayed."
    )

    stability_api_key: SecretStr | None = _key("STABILITY_API_KEY")
    wavespeed_api_key: SecretStr | None = _key("WAVESPEED_API_KEY")
    huggingface_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("HF_API_KEY", "HF_TOKEN", "IMAGESTUDIO_HF_API_KEY"),
        description="API key (HF_API_KEY).",
    )
    gemini_api_key: SecretStr | None = _key("GEMINI_API_KEY")
    openai_api_key: SecretStr | None = _key("OPENAI_API_KEY")

    stability_base_url: str = "https://api.stability.ai"
    wavespeed_base_url: str = "https://api.wavespeed.ai"
    huggingface_base_url: str = "https://router.huggingface.co/hf-inference"
    gemini_base_url: str = "https://generativelanguage.googleapis.com"
    openai_base_url: str = "https://api.openai.com/v1"

    provider_timeout_s: float = Field(default=120.0, gt=0, description="Per-call vendor budget.")
    provider_max_concurrency: int = Field(
        default=4, ge=1, description="Calls in flight per vendor."
    )
    # Per-vendor caps on calls in flight (None: provider_max_concurrency). They keep a batch
    # of variations under each vendor's published limits instead of tripping its 429s.
    stability_max_concurrency: int | None = Field(
        default=10,
        ge=1,
        description="Stability calls in flight; its limit is 150 requests/10 s (60 s time-out).",
    )
    wavespeed_max_concurrency: int | None = Field(
        default=2, ge=1, description="WaveSpeed calls in flight; Bronze tier allows 2."
    )
    huggingface_max_concurrency: int | None = Field(
        default=None, ge=1, description="Hugging Face calls in flight."
    )
    gemini_max_concurrency: int | None = Field(
        default=None, ge=1, description="Gemini calls in flight."
    )
    openai_max_concurrency: int | None = Field(
        default=None, ge=1, description="OpenAI calls in flight."
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
        """Connection settings for vendor ``name`` (one of :data:`PROVIDER_IDS`)."""
        if name not in PROVIDER_IDS:
            raise KeyError(name)
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
