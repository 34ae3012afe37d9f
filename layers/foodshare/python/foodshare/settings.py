"""Typed settings read once per container from the environment.

Every tunable the functions need lives here so handlers never read os.environ
themselves; tests and the local stack change behaviour by setting variables.

Where things are (STAGE, TABLE_NAME, EVENT_BUS_NAME) has no default: the deployed template
sets them, tests and scripts set them explicitly, and a container missing one fails when it
starts (foodshare.observability checks at import, i.e. the cold start) with `MissingSetting`
naming the variable, instead of quietly using a table that does not exist.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


REQUIRED = ("STAGE", "TABLE_NAME", "EVENT_BUS_NAME")


class MissingSetting(RuntimeError):
    """A variable the container cannot run without is not set."""


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise MissingSetting(f"{name} not set: this function's environment must name it (the stack sets it)")
    return value


def check_required() -> None:
    """Fail now, naming every missing variable, rather than at the first request that needs one."""
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if missing:
        raise MissingSetting(f"{', '.join(missing)} not set: this function's environment must name "
                             f"{'it' if len(missing) == 1 else 'them'} (the stack sets them)")


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _positive(name: str, default: int) -> int:
    value = _int(name, default)
    if value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value}")
    return value


def _choice(name: str, allowed: tuple[str, ...], default: str) -> str:
    value = os.environ.get(name) or default
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def _rate(name: str, default: str) -> tuple[int, int]:
    """A rate limit written "requests/seconds", e.g. "10/3600"."""
    raw = os.environ.get(name, default)
    try:
        requests, seconds = (int(part) for part in raw.split("/"))
    except ValueError:
        raise ValueError(f"{name} must look like 10/3600 (requests/seconds), got {raw!r}") from None
    if requests <= 0 or seconds <= 0:
        raise ValueError(f"{name} needs positive numbers, got {raw!r}")
    return requests, seconds


def _per_level(name: str, default: str) -> tuple[int, ...]:
    """One number per trust level, highest level first, written "5/4/3/2/1"."""
    raw = os.environ.get(name, default)
    try:
        values = tuple(int(part) for part in raw.split("/"))
    except ValueError:
        raise ValueError(f"{name} must look like 5/4/3/2/1 (exemplary/.../concerning), got {raw!r}") from None
    if len(values) != 5 or min(values) < 0:
        raise ValueError(f"{name} needs five non-negative numbers (exemplary/.../concerning), got {raw!r}")
    return values


@dataclass(frozen=True)
class SecretRef:
    """Where a secret comes from: the value itself (locally), or a Secrets Manager ARN / SSM parameter name."""

    value: str | None
    secret_arn: str | None
    parameter: str | None

    @property
    def configured(self) -> bool:
        return bool(self.value or self.secret_arn or self.parameter)


def _secret(name: str) -> SecretRef:
    return SecretRef(
        value=os.environ.get(name) or None,
        secret_arn=os.environ.get(f"{name}_SECRET_ARN") or None,
        parameter=os.environ.get(f"{name}_PARAMETER") or None,
    )


@dataclass(frozen=True)
class Settings:
    """What a Foodshare container needs to know about its surroundings."""

    stage: str
    region: str
    table_name: str
    dynamodb_endpoint: str | None
    event_bus_name: str
    redis_url: str | None
    redis_cluster: bool  # ElastiCache Serverless speaks the cluster protocol (rediss:// URLs by default)
    cache_breaker_failures: int  # consecutive Redis failures that open the breaker
    cache_breaker_cooldown_seconds: int  # open time before a half-open probe
    cache_settle_ms: int  # entries built on versions younger than this are not stored (DynamoDB reads settle)
    rate_limit_posting: tuple[int, int]  # (requests, seconds) per user: POST /food
    rate_limit_claims: tuple[int, int]  # POST /food/{foodId}/claims
    rate_limit_discovery: tuple[int, int]  # GET /food
    rate_limit_default: tuple[int, int]  # every other authenticated route
    rate_limit_reports: tuple[int, int]  # POST /reports
    claim_limits: tuple[int, ...]  # simultaneous active claims per trust level, exemplary first
    daily_credit_limits: tuple[int, ...]  # credits a user may spend on claims per UTC day, per trust level
    low_rating_suspension_days: int  # how long the low-rating rule suspends claiming and posting
    invite_ttl_hours: int
    rating_window_days: int
    welcome_credits: int
    max_credit_balance: int
    discovery_page_size: int
    discovery_max_page_size: int
    outbox_delivery: str  # "stream": the table's stream feeds the outbox relay; "relay": each writer publishes after commit
    outbox_sweep_grace_seconds: int  # the sweeper leaves younger events to the relay
    expiry_lookback_hours: int  # how far back the expiry job looks for posts whose window ended
    exchange_settle_hours: int  # how long after its pickup window an exchange still claimed is settled by the job
    telegram_bot_token: SecretRef
    telegram_webhook_secret: SecretRef
    telegram_api_base: str
    telegram_bot_username: str | None  # "/cmd@OtherBot" in a group is not for us
    slack_signing_secret: SecretRef
    slack_bot_token: SecretRef
    slack_api_base: str
    bot_timezone: str  # how the bots read "18:00-20:00" pickup windows
    bot_conversation_minutes: int
    export_bucket: str | None = None  # EXPORT_BUCKET: where data exports go (the users and exports functions)
    # SCAN_SEGMENTS: the parallel scan's TotalSegments (export's threads, erasure's queue messages).
    scan_segments: int = 8
    identity_key: SecretRef = SecretRef(None, None, None)  # HMAC key of per-group handles, pseudonyms, areas


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings for this container; cached, cleared by tests with get_settings.cache_clear()."""
    return Settings(
        stage=_required("STAGE"),
        region=os.environ.get("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", "eu-west-1")),
        table_name=_required("TABLE_NAME"),
        dynamodb_endpoint=os.environ.get("DYNAMODB_ENDPOINT") or None,
        event_bus_name=_required("EVENT_BUS_NAME"),
        redis_url=os.environ.get("REDIS_URL") or None,
        redis_cluster=os.environ.get(
            "REDIS_CLUSTER", str((os.environ.get("REDIS_URL") or "").startswith("rediss://"))
        ).lower() in ("1", "true", "yes"),
        cache_breaker_failures=_int("CACHE_BREAKER_FAILURES", 3),
        cache_breaker_cooldown_seconds=_int("CACHE_BREAKER_COOLDOWN_SECONDS", 5),
        cache_settle_ms=_int("CACHE_SETTLE_MS", 1000),
        rate_limit_posting=_rate("RATE_LIMIT_POSTING", "10/3600"),
        rate_limit_claims=_rate("RATE_LIMIT_CLAIMS", "30/3600"),
        rate_limit_discovery=_rate("RATE_LIMIT_DISCOVERY", "120/60"),
        rate_limit_default=_rate("RATE_LIMIT_DEFAULT", "60/60"),
        rate_limit_reports=_rate("RATE_LIMIT_REPORTS", "10/3600"),
        claim_limits=_per_level("CLAIM_LIMITS", "5/4/3/2/1"),
        daily_credit_limits=_per_level("DAILY_CREDIT_LIMITS", "20/15/10/7/3"),
        low_rating_suspension_days=_int("LOW_RATING_SUSPENSION_DAYS", 14),
        invite_ttl_hours=_int("INVITE_TTL_HOURS", 168),
        rating_window_days=_int("RATING_WINDOW_DAYS", 14),
        welcome_credits=_int("WELCOME_CREDITS", 3),
        max_credit_balance=_int("MAX_CREDIT_BALANCE", 50),
        discovery_page_size=_int("DISCOVERY_PAGE_SIZE", 20),
        discovery_max_page_size=_int("DISCOVERY_MAX_PAGE_SIZE", 50),
        outbox_delivery=_choice("OUTBOX_DELIVERY", ("stream", "relay"), "stream"),
        outbox_sweep_grace_seconds=_int("OUTBOX_SWEEP_GRACE_SECONDS", 30),
        expiry_lookback_hours=_int("EXPIRY_LOOKBACK_HOURS", 48),
        exchange_settle_hours=_positive("EXCHANGE_SETTLE_HOURS", 72),
        telegram_bot_token=_secret("TELEGRAM_BOT_TOKEN"),
        telegram_webhook_secret=_secret("TELEGRAM_WEBHOOK_SECRET"),
        telegram_api_base=os.environ.get("TELEGRAM_API_BASE", "https://api.telegram.org").rstrip("/"),
        telegram_bot_username=(os.environ.get("TELEGRAM_BOT_USERNAME") or "").lstrip("@") or None,
        slack_signing_secret=_secret("SLACK_SIGNING_SECRET"),
        slack_bot_token=_secret("SLACK_BOT_TOKEN"),
        slack_api_base=os.environ.get("SLACK_API_BASE", "https://slack.com/api").rstrip("/"),
        bot_timezone=os.environ.get("BOT_TIMEZONE", "UTC"),
        bot_conversation_minutes=_int("BOT_CONVERSATION_MINUTES", 30),
        export_bucket=os.environ.get("EXPORT_BUCKET") or None,
        scan_segments=max(1, _int("SCAN_SEGMENTS", 8)),
        identity_key=_secret("IDENTITY_KEY"),
    )
