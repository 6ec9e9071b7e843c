"""All configuration in one place: `ALVH_*` environment variables over a TOML file over defaults.

interface.md: `ALVH_HOME` (default: the current directory) holds `alvh.duckdb` and `reports/`;
`ALVH_CONFIG` (default `$ALVH_HOME/alvh.toml` when present) is the TOML file. Secrets (the SMTP
password) are `SecretStr` so they never print, and are never copied into the warehouse.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import string
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
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
URL_PLACEHOLDERS = {"cboe_url_template": "symbol", "fred_url_template": "series"}
# Secrets come from the environment or a Prefect block (interface.md), never from the file.
ENVIRONMENT_ONLY = ("smtp_password",)


class ApprovalSettings(BaseModel):
    """How orders are approved (issue 15): signed by registered keys, or by typed names."""

    model_config = ConfigDict(extra="forbid")

    # auto: signed once any approver key is registered ('alvh approvers add'), names before;
    # names: a solo trader's typed names (refused once keys exist: they would bypass them);
    # signed: keys required even before the first one is registered.
    mode: Literal["auto", "names", "signed"] = "auto"
    # A fill further than this fraction of the order's limit price (and more than
    # price_tolerance_points) from it needs `orders execute --force`, which is audited.
    price_tolerance: float = Field(default=0.5, gt=0, le=10)
    price_tolerance_points: float = Field(default=0.1, ge=0, le=100)


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
    http_timeout_seconds: float = Field(default=5.0, gt=0, le=120)  # connect, and each read
    http_transfer_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)  # whole transfer

    # Email (interface.md). No host means: write the .eml next to the report.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_block: str | None = None
    mail_from: str = "alvh-risk@localhost"
    mail_to: str = ""

    # Approvals (method §6.5): k of m named approvers before an order may be executed.
    approvers: list[str] = Field(default_factory=lambda: ["risk-manager"], min_length=1)
    approvals_required: int = Field(default=1, ge=1)
    approvals: ApprovalSettings = Field(default_factory=ApprovalSettings)

    # The audit chain's heads, appended after every run outside the warehouse (issue 15);
    # default $ALVH_HOME/audit-anchors.log. Point it at another disk or mount.
    audit_anchor_path: Path | None = None

    # Method parameters, as TOML tables [signals], [layers], [costs]; each key overrides one
    # default of alvh.hedge.signals.SignalConfig, alvh.hedge.layers.LayerConfig,
    # alvh.book.costs.CostModel,
    # and unknown keys are refused there. Reports print the values in force.
    # int | float keeps a TOML integer an integer, so `roll_days = 7.9` can be told from 7;
    # [layers] also takes switches (true / false).
    signals: dict[str, int | float] = Field(default_factory=dict)
    layers: dict[str, bool | int | float] = Field(default_factory=dict)
    costs: dict[str, int | float] = Field(default_factory=dict)
    # [model] (method §2): alvh.book.valuation.ModelParams — atm_ratio, vvix_multiplier,
    # vix_vol_default, and the sub-tables [model.skew], [model.vx], [model.vix_skew].
    model: dict[str, Any] = Field(default_factory=dict)

    # Staleness: a series is flagged stale past this many trading days (by frequency).
    stale_after_trading_days_daily: int = Field(default=3, ge=0)
    stale_after_trading_days_monthly: int = Field(default=45, ge=0)

    @field_validator("cboe_url_template", "fred_url_template")
    @classmethod
    def _one_placeholder(cls, template: str, info: ValidationInfo) -> str:
        # a template without its placeholder would fetch the same file for every series
        wanted = URL_PLACEHOLDERS[info.field_name]
        try:
            parts = string.Formatter().parse(template)
            found = {name for _, name, _, _ in parts if name is not None}
        except ValueError as exc:
            raise ValueError(f"not a URL template ({exc})") from exc
        if found != {wanted}:
            raise ValueError(
                f"must contain the placeholder {{{wanted}}} and no other "
                f"(found {sorted(found) or 'none'})"
            )
        return template

    @field_validator("approvers")
    @classmethod
    def _trimmed_names(cls, names: list[str]) -> list[str]:
        # stored as compared: `alvh orders approve --as` trims the name it is given
        names = [name.strip() for name in names]
        if any(not name for name in names) or len(set(names)) != len(names):
            raise ValueError("approvers must be distinct, non-empty names")
        return names

    @field_validator("approvals_required")
    @classmethod
    def _k_of_m(cls, required: int, info: ValidationInfo) -> int:
        names = info.data.get("approvers")
        if names is not None and required > len(names):
            raise ValueError(
                f"approvals_required ({required}) exceeds the number of approvers ({len(names)})"
            )
        return required

    @property
    def warehouse_path(self) -> Path:
        return self.home / "alvh.duckdb"

    @property
    def audit_anchor_file(self) -> Path:
        return self.audit_anchor_path or self.home / "audit-anchors.log"

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
    """Read the settings in force now (environment and TOML are read at each call).

    A bad setting is a usage error (exit 2) naming where it was set (the file or the
    environment variable), the key and the rule it breaks.
    """
    from alvh.core.errors import UsageError

    toml_file = config_path()
    if toml_file is not None:
        file_values = _read_toml(toml_file)
        for key in ENVIRONMENT_ONLY:
            if key in file_values:
                raise UsageError(
                    f"{toml_file}: {key}: secrets are read only from the environment "
                    f"(ALVH_{key.upper()}) or a Prefect block, never from the settings file"
                )
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise UsageError("; ".join(_explain(error, overrides) for error in exc.errors())) from None


def _read_toml(path: Path) -> dict[str, Any]:
    from alvh.core.errors import UsageError

    if not path.is_file():
        raise UsageError(f"ALVH_CONFIG points to {path}, which does not exist")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not a valid TOML file: {exc}") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the settings file: {exc.strerror}") from None


def _explain(error: Mapping[str, Any], overrides: Mapping[str, object]) -> str:
    """One pydantic error as `where: key: rule (got value)`."""
    loc = [str(part) for part in error.get("loc", ())]
    key = ".".join(loc) or "settings"
    rule = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    where = setting_source(*loc[:2]) if loc and loc[0] not in overrides else "argument"
    shown = "" if (loc and loc[0] in ENVIRONMENT_ONLY) or "input" not in error else error["input"]
    if error.get("type") == "extra_forbidden" or isinstance(shown, dict) or shown == "":
        return f"{where}: {key}: {rule}"
    return f"{where}: {key}: {rule} (got {shown!r})"


def setting_source(field: str, key: str | None = None) -> str:
    """Where a setting (or one key of a table) was set: its environment variable, else the file."""
    present = {name.upper(): name for name in os.environ}
    candidates = [f"ALVH_{field}__{key}", f"ALVH_{field}"] if key else [f"ALVH_{field}"]
    for candidate in candidates:
        if candidate.upper() in present:
            return f"environment variable {present[candidate.upper()]}"
    toml_file = config_path()
    if toml_file is not None:
        return str(toml_file)
    return "settings"


def check_method_table(settings: Settings, table: str, config_type: type) -> None:
    """Refuse a [signals]/[layers]/[costs] key the dataclass `config_type` does not know, a
    fraction for a whole-number parameter, and a value its own rules reject (exit 2, naming
    where the key was set)."""
    from alvh.core.errors import AlvhError, UsageError

    values: dict[str, int | float] = dict(getattr(settings, table))
    types = {f.name: f.type for f in dataclasses.fields(config_type)}
    for key, value in values.items():
        where = setting_source(table, key)
        if key not in types:
            raise UsageError(
                f"{where}: [{table}] {key}: unknown setting; known: {', '.join(sorted(types))}"
            )
        if not math.isfinite(value):
            raise UsageError(f"{where}: [{table}] {key} = {value!r}: must be a finite number")
        if types[key] in ("int", int) and value != int(value):
            raise UsageError(f"{where}: [{table}] {key} = {value!r}: must be a whole number")
    try:
        config_type(**values)
    except (AlvhError, ValueError, TypeError) as exc:
        # name the key that is broken on its own; a rule across keys names every key set
        for key, value in values.items():
            try:
                config_type(**{key: value})
            except (AlvhError, ValueError, TypeError):
                where = setting_source(table, key)
                raise UsageError(f"{where}: [{table}] {key} = {value!r}: {exc}") from None
        keys = ", ".join(f"{key} ({setting_source(table, key)})" for key in values)
        raise UsageError(f"[{table}] {keys}: {exc}") from None
