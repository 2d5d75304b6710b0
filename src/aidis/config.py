"""Settings (environment variables with the AIDIS_ prefix). Read only where the app is built."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from aidis.embedding_spec import check_spec
from aidis.errors import InvalidInput


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "aidis"


def _default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "aidis"


class Settings(BaseSettings):
    """Every setting AIDIS reads; see docs/configuration.md for the full reference."""

    model_config = SettingsConfigDict(env_prefix="AIDIS_", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir, description="Where the SQLite file lives.")
    cache_dir: Path = Field(
        default_factory=_default_cache_dir,
        description="What AIDIS can make again and shares between its processes: the embedding model's "
        "optimized copy, prepared once (about 90 MB). Default: $XDG_CACHE_HOME/aidis or ~/.cache/aidis.",
    )
    database_url: str | None = Field(
        default=None,
        description="sqlite:///path or postgresql://…; default: sqlite file aidis.db under data_dir.",
    )
    sqlite_busy_timeout_ms: int = Field(
        default=30_000, ge=0, description="How long a SQLite write waits for a lock before failing (ms)."
    )
    idle_timeout_minutes: float = Field(
        default=30.0, gt=0, description="Minutes without activity after which a session is timed out."
    )
    session_handle_hours: float = Field(
        default=24.0,
        gt=0,
        le=24 * 365,
        description="How long a session handle (MCP clients without a protocol session) stays valid.",
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
    auth_token: str | None = Field(
        default=None, min_length=16, description="Bearer token for /mcp and /api and the dashboard login."
    )
    form_secret: str | None = Field(
        default=None,
        min_length=32,
        description="Secret the dashboard's form tokens are bound to (default: made once in data_dir/form-secret); "
        "give replicas behind one name the same one.",
    )
    public_url: str | None = Field(
        default=None,
        description="The URL people and clients reach this server at (e.g. https://aidis.internal); "
        "needed for single sign-on's redirect and the MCP endpoint's OAuth metadata.",
    )
    oidc_issuer: str | None = Field(
        default=None,
        description="OpenID Connect issuer URL of the identity provider (turns on single sign-on).",
    )
    oidc_client_id: str | None = Field(
        default=None, description="This server's client id at the identity provider."
    )
    oidc_client_secret: str | None = Field(
        default=None, description="Its client secret, if the provider gave one (PKCE is used either way)."
    )
    oidc_audience: str | None = Field(
        default=None,
        description="The audience bearer JWTs for /mcp must name (default: <public_url>/mcp).",
    )
    oidc_groups_claim: str = Field(
        default="groups", description="The claim holding a person's groups (for group grants)."
    )
    allowed_origins: list[str] = Field(
        default_factory=list, description="Browser origins allowed to call /mcp besides the server's own."
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host names (besides loopback and the bind address) the server answers to; '*' = any.",
    )
    metrics_public: bool = Field(
        default=False,
        description="Serve /metrics without the bearer token even when AIDIS_AUTH_TOKEN is set.",
    )
    metrics_max_projects: int = Field(
        default=20,
        ge=1,
        le=1000,
        description="Projects with their own label on /metrics; the rest are counted as 'other'.",
    )
    spool_dir: Path | None = Field(
        default=None, description="Where hook events wait for the database (default: data_dir/spool)."
    )
    tools: str = Field(
        default="core",
        pattern="^(core|all)$",
        description="core: agents are shown the tools of a session and aidis_tool (which runs the others); "
        "all: every tool is listed.",
    )
    capture: bool = Field(
        default=True,
        description="Record what agents do from their tool-use hooks (files, commands, tests); "
        "AIDIS_CAPTURE=off records none of it.",
    )
    recall: bool = Field(
        default=True,
        description="Prompt-time recall: the agents' prompt hooks inject the few notes of the session's own "
        "project that are about the prompt (docs/memory.md); AIDIS_RECALL=off injects nothing. A project "
        "can turn it off alone (aidis projects recall NAME off).",
    )
    recall_max_items: int = Field(default=3, ge=1, le=10, description="At most this many notes per prompt.")
    recall_max_chars: int = Field(
        default=1_500, ge=200, le=9_000, description="The recalled block's size limit, in characters."
    )
    recall_min_similarity: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="The relevance floor: a note is recalled only when its meaning is at least this close "
        "to the prompt (cosine similarity of the embedding model) or it holds one of the prompt's "
        "identifiers exactly. Unset: the model's own measured floor (minilm 0.35, wordllama 0.4).",
    )
    prices_file: Path | None = Field(
        default=None,
        description="A TOML file of your own prices (USD per million tokens by model: negotiated rates, a "
        "local model at 0); it wins over the bundled price data (docs/usage.md).",
    )
    usage_zones: str = Field(
        default="UTC,local",
        description="Time zones usage is also kept per day for (comma-separated IANA names; local: this "
        "machine's): reports in them read a year as a few thousand rows; any other zone is exact too, "
        "from the hours (docs/usage.md).",
    )
    redaction: str = Field(
        default="redact",
        pattern="^(redact|refuse)$",
        description="redact: replace secrets with [REDACTED:<kind>] before writing; refuse: reject such input.",
    )
    duplicate_window_hours: float = Field(
        default=24,
        ge=0,
        le=24 * 365,
        description="Storing the same text and type again within this many hours returns the existing "
        "context (0: never suppress duplicates).",
    )
    mcp_stateless: bool = Field(
        default=False,
        description="Serve MCP over HTTP statelessly: any worker or replica answers any request (no sticky "
        "routing); clients name their connection with X-AIDIS-Connection. On whenever --workers > 1.",
    )
    auto_projects: bool = Field(
        default=True,
        description="Create a project for a git repository the first time a session works in it.",
    )
    agent_type: str = Field(default="unknown", max_length=64, description="Agent name for stdio sessions.")
    connection_id: str | None = Field(
        default=None,
        max_length=200,
        description="Fixed connection id for `aidis mcp` (lets a restarted stdio server resume its session).",
    )
    embedding_model: str = Field(
        default="minilm",
        max_length=1000,
        description="The model context search ranks meaning with: minilm (all-MiniLM-L6-v2, bundled, the "
        "default), wordllama (bundled, lighter and weaker), wordllama:64|128|256, model2vec:/local/folder, or off (keyword search only). Never downloaded.",
    )
    log_level: str = Field(default="INFO", description="Python log level.")

    @field_validator("embedding_model")
    @classmethod
    def _known_model(cls, value: str) -> str:
        try:
            return check_spec(value)
        except InvalidInput as exc:
            raise ValueError(exc.message) from exc

    @field_validator("usage_zones")
    @classmethod
    def _known_zones(cls, value: str) -> str:
        for part in value.split(","):
            name = part.strip()
            if name and name.lower() != "local":
                try:
                    ZoneInfo(name)
                except (ZoneInfoNotFoundError, ValueError) as exc:
                    raise ValueError(
                        f"unknown time zone {name!r} (an IANA name, e.g. Europe/Berlin)"
                    ) from exc
        return value

    @field_validator("database_url", "auth_token", "connection_id", "form_secret", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and value.strip() == "":
            return None
        return value.strip() if isinstance(value, str) else value

    def resolved_spool_dir(self) -> Path:
        """The hook spool folder (the hook fast path applies the same rule to the environment)."""
        return self.spool_dir or self.data_dir / "spool"

    def resolved_database_url(self) -> str:
        """The database URL to use, defaulting to a SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'aidis.db'}"


def with_overrides(settings: Settings, updates: dict[str, Any]) -> Settings:
    """`settings` with command-line values in place of some, validated like the environment's (a bad one
    is an InvalidInput naming its option)."""
    try:
        return Settings.model_validate({**settings.model_dump(), **updates})
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "--" + str(first["loc"][0]).replace("_", "-") if first["loc"] else "option"
        raise InvalidInput(f"{name}: {first['msg']}", field=name) from exc


def load_settings() -> Settings:
    """Settings from the environment; a bad value is an InvalidInput naming its AIDIS_ variable."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "AIDIS_" + str(first["loc"][0]).upper() if first["loc"] else "AIDIS_*"
        raise InvalidInput(f"{name}: {first['msg']}", field=name) from exc
