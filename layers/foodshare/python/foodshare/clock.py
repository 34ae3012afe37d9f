"""One source of "now" so tests can move time (pickup windows, rating windows, caps)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

_offset_seconds = 0.0


def now() -> datetime:
    return datetime.now(timezone.utc) + timedelta(seconds=_offset_seconds)


def advance(seconds: float) -> None:
    """Move this process's clock forward (tests and the local runner's time travel)."""
    global _offset_seconds
    _offset_seconds += seconds


def reset() -> None:
    global _offset_seconds
    _offset_seconds = 0.0


def iso(moment: datetime) -> str:
    """UTC ISO-8601 with a Z suffix and second precision: sortable as a string.

    The year is always four digits: strftime's %Y writes year 8 as "8" on Linux, which is no
    ISO date-time and sorts after "2026" (a fuzzer's pickupStart of 0008-01-01 found it)."""
    utc = moment.astimezone(timezone.utc)
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%SZ}"


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def now_iso() -> str:
    return iso(now())
