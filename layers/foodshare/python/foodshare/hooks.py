"""What must happen right after a state change commits, without the domain knowing who cares.

The cache bumps its versions here (read-after-write). Publishing is not on this path
(OUTBOX_DELIVERY=stream, the default): the table's stream feeds the outbox relay
function (docs/events.md). With OUTBOX_DELIVERY=relay each writer still publishes its
own events here (`foodshare.events_relay`). Hook modules are imported on the first
commit, so every process that writes (API, webhooks, consumers, jobs) runs them. A hook
that fails is logged and never undoes or fails the committed change.

`also_after_commit` adds a hook for what stands in for infrastructure in one process: the
in-process test harness feeds the relay the table's stream records this way, as Lambda's
event source mapping does on AWS.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from foodshare.events import DomainEvent

AfterCommit = Callable[[list["DomainEvent"]], None]

# Each module defines `after_commit(events)`.
AFTER_COMMIT_MODULES: tuple[str, ...] = ("foodshare.cache.versions",)
PUBLISH_AFTER_COMMIT = "foodshare.events_relay"  # only with OUTBOX_DELIVERY=relay

_hooks: list[tuple[str, AfterCommit]] | None = None
_extra: list[tuple[str, AfterCommit]] = []


def _load() -> list[tuple[str, AfterCommit]]:
    global _hooks
    if _hooks is None:
        from foodshare.settings import get_settings

        names = AFTER_COMMIT_MODULES
        if get_settings().outbox_delivery == "relay":
            names += (PUBLISH_AFTER_COMMIT,)
        _hooks = [(name, importlib.import_module(name).after_commit) for name in names]
    return _hooks + _extra


def also_after_commit(name: str, hook: AfterCommit) -> None:
    """Run `hook` after every commit in this process too (once per name)."""
    if all(existing != name for existing, _ in _extra):
        _extra.append((name, hook))


def reset() -> None:
    """Forget the loaded hooks (settings changed)."""
    global _hooks
    _hooks = None


def run_after_commit(events: list[DomainEvent]) -> None:
    from foodshare.observability import log_exception

    for name, hook in _load():
        try:
            hook(events)
        except Exception as exc:  # the change is committed; a hook's failure must not turn it into an error
            log_exception("after-commit hook failed", exc, hook=name)
