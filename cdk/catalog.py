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

    @classmethod
    def current(cls) -> Catalog:
        return cls(app_catalog.API_FUNCTIONS, app_catalog.CONSUMERS, app_catalog.SCHEDULED_JOBS, EVENT_SOURCES)

    def deployed(self, api_docs: bool) -> Catalog:
        """What a stage deploys: without the api_docs functions (and their routes) unless it serves API docs."""
        if api_docs:
            return self
        return replace(self, api_functions=tuple(fn for fn in self.api_functions if not fn.api_docs))

    def names(self) -> set[str]:
        return {entry.name for entry in (*self.api_functions, *self.consumers, *self.scheduled_jobs)}

    def sources_of(self, event_types: tuple[str, ...]) -> list[str]:
        """The EventBridge sources a rule for these detail-types must match."""
        unknown = [t for t in event_types if t not in self.event_sources]
        if unknown:
            raise ValueError(f"event types without a source in events.EVENT_SOURCES: {unknown}")
        return sorted({self.event_sources[t] for t in event_types})
