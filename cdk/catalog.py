"""What the stack builds, taken from the application's own catalog and event sources.

The stack receives a `Catalog` instead of importing the module globals so tests can
build it with a fake catalog (consumers and jobs exist there before they exist in the
code) while `Catalog.current()` keeps the real one the single source of truth.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from foodshare import catalog as app_catalog
from foodshare.events import EVENT_SOURCES


@dataclass(frozen=True)
class Catalog:
    api_functions: tuple[app_catalog.ApiFunction, ...]
    consumers: tuple[app_catalog.Consumer, ...]
    scheduled_jobs: tuple[app_catalog.ScheduledJob, ...]
    event_sources: dict[str, str]
    stream_relays: tuple[app_catalog.StreamRelay, ...] = ()  # deployed with `outbox_delivery: stream`

    @classmethod
    def current(cls) -> Catalog:
        return cls(app_catalog.API_FUNCTIONS, app_catalog.CONSUMERS, app_catalog.SCHEDULED_JOBS, EVENT_SOURCES,
                   app_catalog.STREAM_RELAYS)

    def deployed(self, api_docs: bool, outbox_delivery: str = "stream") -> Catalog:
        """What a stage deploys: without the api_docs functions (and their routes) unless it serves API docs,
        and without the stream relay unless the outbox is delivered from the stream."""
        deployed = self if outbox_delivery == "stream" else replace(self, stream_relays=())
        if api_docs:
            return deployed
        return replace(deployed, api_functions=tuple(fn for fn in self.api_functions if not fn.api_docs))

    def names(self) -> set[str]:
        return {entry.name for entry in (*self.api_functions, *self.consumers, *self.scheduled_jobs,
                                         *self.stream_relays)}

    def sources_of(self, event_types: tuple[str, ...]) -> list[str]:
        """The EventBridge sources a rule for these detail-types must match."""
        unknown = [t for t in event_types if t not in self.event_sources]
        if unknown:
            raise ValueError(f"event types without a source in events.EVENT_SOURCES: {unknown}")
        return sorted({self.event_sources[t] for t in event_types})
