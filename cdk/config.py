"""Per-stage settings, read from the `stages` context of cdk.json.

Every number an operator or the capacity planner tunes lives in cdk.json, never in
code: this module only gives it types and refuses settings that name a function the
catalog does not know (a typo would otherwise silently fall back to the defaults).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aws_cdk.aws_logs import RetentionDays

ROOT = Path(__file__).resolve().parents[1]
# The retention periods cdk.json may name, in days (CloudWatch Logs accepts only fixed values).
RETENTION = {
    7: RetentionDays.ONE_WEEK,
    14: RetentionDays.TWO_WEEKS,
    30: RetentionDays.ONE_MONTH,
    90: RetentionDays.THREE_MONTHS,
    180: RetentionDays.SIX_MONTHS,
    365: RetentionDays.ONE_YEAR,
}
CDK_JSON = ROOT / "cdk.json"


def file_context(path: Path = CDK_JSON) -> dict[str, Any]:
    """The `context` block of cdk.json, so the app synthesizes the same without the CLI."""
    return json.loads(path.read_text())["context"]


@dataclass(frozen=True)
class PeakFloor:
    """A higher provisioned-concurrency minimum held during the daily peak (local time)."""

    min: int
    start: str  # "HH:MM"
    end: str
    time_zone: str

    @classmethod
    def parse(cls, raw: dict) -> PeakFloor:
        return cls(raw["min"], raw["from"], raw["to"], raw["time_zone"])


@dataclass(frozen=True)
class Provisioned:
    min: int
    max: int
    target_utilisation: float
    peak: PeakFloor | None = None


@dataclass(frozen=True)
class FunctionCapacity:
    memory_mb: int
    reserved_concurrency: int
    timeout_seconds: int | None = None  # consumers derive theirs from the queue
    max_concurrency: int | None = None  # SQS event source scaling cap (consumers)
    provisioned: Provisioned | None = None  # functions the capacity plan keeps warm (make capacity)
    snap_start: bool = False  # SnapStart on published versions; never together with provisioned concurrency


@dataclass(frozen=True)
class Bounds:
    min: int
    max: int


@dataclass(frozen=True)
class TableCapacity:
    """The table's capacity mode: on demand, or provisioned with target-tracking auto scaling on the table and
    each index (`capacity.dynamodb` in cdk.json, written by `make capacity` for prod; absent = on demand)."""

    billing: str = "on_demand"
    target_utilisation: float = 0.7
    table_read: Bounds | None = None
    table_write: Bounds | None = None
    index_read: Bounds | None = None
    index_write: Bounds | None = None

    @classmethod
    def parse(cls, stage: str, raw: dict | None) -> TableCapacity:
        raw = raw or {"billing": "on_demand"}
        if raw.get("billing") == "on_demand":
            return cls()
        if raw.get("billing") != "provisioned":
            raise ValueError(f"stage {stage}: capacity.dynamodb.billing must be on_demand or provisioned, "
                             f"not {raw.get('billing')!r}")
        bounds = {f"{part}_{kind}": Bounds(**raw[{"table": "table", "index": "indexes"}[part]][kind])
                  for part in ("table", "index") for kind in ("read", "write")}
        for name, b in bounds.items():
            if not 1 <= b.min <= b.max:
                raise ValueError(f"stage {stage}: capacity.dynamodb {name} needs 1 <= min <= max, not {b}")
        if not 0.2 <= raw["target_utilisation"] <= 0.9:
            raise ValueError(f"stage {stage}: capacity.dynamodb.target_utilisation must be 0.2-0.9 (AWS: 20-90 %)")
        return cls("provisioned", raw["target_utilisation"], **bounds)


@dataclass(frozen=True)
class Alarms:
    period_seconds: int
    evaluation_periods: int
    api_p95_warning_ms: float
    api_p95_critical_ms: float
    api_p99_ms: float
    api_5xx_warning_percent: float
    api_5xx_critical_percent: float
    lambda_errors: float
    lambda_throttles: float
    queue_oldest_message_seconds: int
    cache_hit_warning_percent: float
    cache_hit_critical_percent: float


@dataclass(frozen=True)
class BackupSettings:
    retention_days: int
    hour_utc: int  # when the daily snapshot starts
    copy_region: str  # "" = no cross-region copy


@dataclass(frozen=True)
class StageConfig:
    name: str
    retain_data: bool
    log_retention_days: int
    log_level: str
    archive_retention_days: int
    jwt_issuer: str  # empty: the stack creates a Cognito user pool
    jwt_audience: tuple[str, ...]
    cache_max_data_storage_gb: int
    cache_max_ecpu_per_second: int
    api_rate_limit: int
    api_burst_limit: int
    alarms: Alarms
    # "stream": the table's stream -> filtered event source mapping -> the outbox_relay function (docs/events.md);
    # "pipe": stream -> EventBridge Pipe (no schema check); "relay": each writer publishes after commit. All + sweeper.
    outbox_delivery: str
    nat_gateways: int  # NAT gateways for the functions that call the chat platforms (docs/deploy.md: one per AZ in prod)
    _defaults: dict = field(repr=False)
    _overrides: dict = field(repr=False)
    # GET /openapi.json and Swagger UI at GET /docs (the catalog's api_docs functions); off unless set
    api_docs: bool = False
    backup: BackupSettings = BackupSettings(35, 3, "")
    dynamodb: TableCapacity = TableCapacity()

    @property
    def log_retention(self) -> RetentionDays:
        return RETENTION[self.log_retention_days]

    def capacity(self, kind: str, name: str) -> FunctionCapacity:
        """Kind defaults (`api`, `consumer`, `scheduled`) merged with the function's overrides.

        A function has provisioned concurrency when its override says `provisioned` (the capacity
        plan's choice, written by `make capacity CAPACITY_ARGS=--write`; `defaults.provisioned`
        fills in what it leaves out); SnapStart when `snap_start` is true. AWS refuses the two
        together on one version, and so does this.
        """
        merged = {**self._defaults[kind], **self._overrides.get(name, {})}
        provisioned = None
        if "provisioned" in merged:
            raw = {**self._defaults["provisioned"], **merged.pop("provisioned")}
            peak = raw.pop("peak", None)
            provisioned = Provisioned(**raw, peak=PeakFloor.parse(peak) if peak else None)
            if merged.get("snap_start"):
                raise ValueError(f"stage {self.name}: {name} has both provisioned concurrency and SnapStart; "
                                 f"AWS allows one of the two (set snap_start false)")
        return FunctionCapacity(**merged, provisioned=provisioned)

    def check_function_names(self, known: set[str]) -> None:
        unknown = set(self._overrides) - known
        if unknown:
            raise ValueError(f"stage {self.name}: capacity set for unknown functions {sorted(unknown)}")


def stage_config(context: Callable[[str], Any]) -> StageConfig:
    """The typed settings of the stage named by the `stage` key; `context` looks keys up."""
    stage, stages = context("stage"), context("stages")
    if stage not in stages:
        raise ValueError(f"unknown stage {stage!r}; cdk.json defines {sorted(stages)}")
    raw = stages[stage]
    if raw["log_retention_days"] not in RETENTION:
        raise ValueError(f"stage {stage}: log_retention_days must be one of {sorted(RETENTION)}")
    capacity = raw["capacity"]
    return StageConfig(
        name=stage,
        retain_data=raw["removal_policy"] == "retain",
        log_retention_days=raw["log_retention_days"],
        log_level=raw["log_level"],
        archive_retention_days=raw["archive_retention_days"],
        jwt_issuer=raw["auth"]["issuer"],
        jwt_audience=tuple(raw["auth"]["audience"]),
        cache_max_data_storage_gb=raw["cache"]["max_data_storage_gb"],
        cache_max_ecpu_per_second=raw["cache"]["max_ecpu_per_second"],
        api_rate_limit=capacity["api"]["rate_limit"],
        api_burst_limit=capacity["api"]["burst_limit"],
        alarms=Alarms(**raw["alarms"]),
        outbox_delivery=_outbox_delivery(context("outbox_delivery")),
        nat_gateways=_nat_gateways(stage, raw.get("network", {}).get("nat_gateways", 1)),
        _defaults=capacity["defaults"],
        _overrides=capacity["functions"],
        api_docs=_flag(stage, "api_docs", raw.get("api_docs", False)),
        backup=_backup(raw.get("backup", {})),
        dynamodb=TableCapacity.parse(stage, capacity.get("dynamodb")),
    )


def _backup(raw: dict) -> BackupSettings:
    settings = BackupSettings(**{**BackupSettings(35, 3, "").__dict__, **raw})
    if settings.retention_days < 1 or not 0 <= settings.hour_utc <= 23:
        raise ValueError(f"backup: retention_days >= 1 and hour_utc 0-23, not {raw}")
    return settings


def _flag(stage: str, name: str, value: object) -> bool:
    if not isinstance(value, bool):  # "false" would otherwise turn the setting on
        raise ValueError(f"stage {stage}: {name} must be true or false, not {value!r}")
    return value


OUTBOX_DELIVERIES = ("stream", "pipe", "relay")


def _outbox_delivery(value: str) -> str:
    if value not in OUTBOX_DELIVERIES:
        raise ValueError(f"outbox_delivery must be one of {OUTBOX_DELIVERIES}, not {value!r}")
    return value


def _nat_gateways(stage: str, value: int) -> int:
    """At least one (the bot functions need a way out), at most one per AZ (the VPC spans two)."""
    if not isinstance(value, int) or not 1 <= value <= 2:
        raise ValueError(f"stage {stage}: network.nat_gateways must be 1 or 2, not {value!r}")
    return value
