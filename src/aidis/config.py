"""Settings (environment variables with the AIDIS_ prefix). Read only where the app is built."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "aidis"


class Settings(BaseSettings):
    """Every setting AIDIS reads; see docs/configuration.md for the full reference."""

    model_config = SettingsConfigDict(env_prefix="AIDIS_", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir, description="Where the SQLite file lives.")
    database_url: str | None = Field(
        default=None,
        description="sqlite:///path or postgresql://…; default: sqlite file aidis.db under data_dir.",
    )
    idle_timeout_minutes: float = Field(
        default=30.0, gt=0, description="Minutes without activity after which a session is timed out."
    )
    reap_interval_seconds: float = Field(default=60.0, gt=0, description="How often the idle reaper runs.")
    integrity_check_interval_seconds: float = Field(
        default=3600.0,
        ge=0,
        description="How often `aidis serve` runs the integrity check for /metrics (0: never).",
    )
    json_logs: bool | None = Field(
        default=None, description="JSON logs (default: when stderr is not a terminal)."
    )
    host: str = Field(default="127.0.0.1", description="Address `aidis serve` binds.")
    port: int = Field(default=8765, ge=1, le=65535, description="Port `aidis serve` binds.")
    agent_type: str = Field(default="unknown", max_length=64, description="Agent name for stdio sessions.")
    connection_id: str | None = Field(
        default=None,
        max_length=200,
        description="Fixed connection id for `aidis mcp` (lets a restarted stdio server resume its session).",
    )
    log_level: str = Field(default="INFO", description="Python log level.")

    @field_validator("database_url")
    @classmethod
    def _normalise_url(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def resolved_database_url(self) -> str:
        """The database URL to use, defaulting to a SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'aidis.db'}"
