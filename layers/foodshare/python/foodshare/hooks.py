"""What must happen right after a state change commits, without the domain knowing who cares.

The cache registers version bumps here (read-after-write), the event relay an
immediate publish (the outbox sweeper is the guarantee; this is the fast path).
A hook that fails is logged and never undoes or fails the committed change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from foodshare.events import DomainEvent

AfterCommit = Callable[[list["DomainEvent"]], None]
_after_commit: dict[str, AfterCommit] = {}


def after_commit(name: str, hook: AfterCommit) -> None:
    """Register (or replace) the hook called with the events of every committed change."""
    _after_commit[name] = hook


def run_after_commit(events: list[DomainEvent]) -> None:
    from foodshare.observability import logger

    for name, hook in list(_after_commit.items()):
        try:
            hook(events)
        except Exception:  # the change is committed; a hook's failure must not turn it into an error
            logger.exception("after-commit hook failed", extra={"hook": name})
