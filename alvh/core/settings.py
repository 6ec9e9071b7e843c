"""All configuration in one place: `ALVH_*` environment variables over a TOML file over defaults.

interface.md: `ALVH_HOME` (default: the current directory) holds `alvh.duckdb` and `reports/`;
`ALVH_CONFIG` (default `$ALVH_HOME/alvh.toml` when present) is the TOML file. Secrets (the SMTP
password) are `SecretStr` so they never print, and are never copied into the warehouse.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_CBOE_URL_TEMPLATE = (
    "https://cdn.cboe.com/api/global/us_indices/daily_prices/{symbol}_History.csv"
)
DEFAULT_FRED_URL_TEMPLATE = "https://fred.stlouisfed.org/graph/fredgraph.csv?id={series}"


def _home_from_env() -> Path:
    return Path(os.environ.get("ALVH_HOME") or Path.cwd()).expanduser().resolve()


def config_path() -> Path | None:
    """The TOML file in force: `ALVH_CONFIG`, else `$ALVH_HOME/alvh.toml` when it exists."""
    explicit = os.environ.get("ALVH_CONFIG")
    if explicit:
        return Path(explicit).expanduser().resolve()
    default = _home_from_env() / "alvh.toml"
    return default if default.is_file() else None


class Settings(BaseSettings):
    """Every setting of ALVH Risk; `alvh.toml.example` documents each one."""

    model_config = SettingsConfigDict(
        env_prefix="ALVH_", extra="forbid", validate_default=True, env_nested_delimiter="__"
    )

    home: Path = Field(default_factory=_home_from_env)

    # The offline snapshot: the bundled public data unless pointed at a refreshed copy.
    snapshot_dir: Path | None = None

    # Publishers (interface.md). Tests point these at a loopback server.
    cboe_url_template: str = DEFAULT_CBOE_URL_TEMPLATE
    fred_url_template: str = DEFAULT_FRED_URL_TEMPLATE
    http_timeout_seconds: float = Field(default=5.0, gt=0, le=120)

    # Email (interface.md). No host means: write the .eml next to the report.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_block: str | None = None
    mail_from: str = "alvh-risk@localhost"
    mail_to: str = ""

    # Approvals (method §6.5): k of m named approvers before an order may be executed.
    approvers: list[str] = Field(default_factory=lambda: ["risk-manager"], min_length=1)
    approvals_required: int = Field(default=1, ge=1)

    # Method parameters, as TOML tables [signals], [layers], [costs]; each key overrides one
    # default of alvh.hedge.signals.SignalConfig, alvh.hedge.layers.LayerConfig,
    # alvh.book.costs.CostModel,
    # and unknown keys are refused there. Reports print the values in force.
    signals: dict[str, float] = Field(default_factory=dict)
    layers: dict[str, float | bool] = Field(default_factory=dict)
    costs: dict[str, float] = Field(default_factory=dict)

    # Staleness: a series is flagged stale past this many trading days (by frequency).
    stale_after_trading_days_daily: int = Field(default=3, ge=0)
    stale_after_trading_days_monthly: int = Field(default=45, ge=0)

    @field_validator("approvers")
    @classmethod
    def _trimmed_names(cls, names: list[str]) -> list[str]:
        # stored as compared: `alvh orders approve --as` trims the name it is given
        return [name.strip() for name in names]

    @model_validator(mode="after")
    def _k_of_m(self) -> Settings:
        names = self.approvers
        if any(not name for name in names) or len(set(names)) != len(names):
            raise ValueError("approvers must be distinct, non-empty names")
        if self.approvals_required > len(names):
            raise ValueError(
                f"approvals_required ({self.approvals_required}) exceeds the number of "
                f"approvers ({len(names)})"
            )
        return self

    @property
    def warehouse_path(self) -> Path:
        return self.home / "alvh.duckdb"

    @property
    def snapshot_path(self) -> Path:
        from alvh.core.resources import snapshot_dir

        return self.snapshot_dir or snapshot_dir()

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    def public_dict(self) -> dict[str, object]:
        """Settings without secrets, JSON-ready: safe to log, hash or show in a report."""
        data = self.model_dump(mode="json", exclude={"smtp_password"})
        data["smtp_password_set"] = self.smtp_password is not None
        return data

    def config_hash(self) -> str:
        """A stable fingerprint of the settings in force (secrets excluded), for the audit trail."""
        payload = json.dumps(self.public_dict(), sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = config_path()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)


def load_settings(**overrides: object) -> Settings:
    """Read the settings in force now (environment and TOML are read at each call)."""
    toml_file = config_path()
    if toml_file is not None and not toml_file.is_file():
        from alvh.core.errors import UsageError

        raise UsageError(f"ALVH_CONFIG points to {toml_file}, which does not exist")
    return Settings(**overrides)
