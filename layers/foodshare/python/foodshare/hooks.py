"""What must happen right after a state change commits, without the domain knowing who cares.

The cache bumps its versions here (read-after-write), the event relay publishes at
once (the outbox sweeper is the guarantee; this is the fast path). Hook modules are
listed in AFTER_COMMIT_MODULES and imported on the first commit, so every process
that writes (API, webhooks, consumers, jobs) runs them. A hook that fails is logged
and never undoes or fails the committed change.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from foodshare.events import DomainEvent

AfterCommit = Callable[[list["DomainEvent"]], None]

# Each module defines `after_commit(events)`.
AFTER_COMMIT_MODULES: tuple[str, ...] = ("foodshare.cache.versions", "foodshare.events_relay")

_hooks: list[tuple[str, AfterCommit]] | None = None


def _load() -> list[tuple[str, AfterCommit]]:
    global _hooks
    if _hooks is None:
        _hooks = [(name, importlib.import_module(name).after_commit) for name in AFTER_COMMIT_MODULES]
    return _hooks


def run_after_commit(events: list[DomainEvent]) -> None:
    from foodshare.observability import logger

    for name, hook in _load():
        try:
            hook(events)
        except Exception:  # the change is committed; a hook's failure must not turn it into an error
            logger.exception("after-commit hook failed", extra={"hook": name})
