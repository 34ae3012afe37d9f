"""Load shapes for `make loadtest SHAPE=...`: baseline, stress, spike, soak, as stages over time.

Pure: `plan` turns (shape, peak users, duration) into stages, `tick` answers locust's
LoadTestShape question (users and spawn rate now, or None: stop) — the locustfile's
shape class only calls these, and the report reads the same stages to cut the run
into steps and phases.

- baseline: 10 users, flat (the issue's baseline), whatever USERS says;
- stress: STRESS_STEPS equal steps up to USERS; the report finds the first step that
  breaks an SLO (its users and req/s are the breaking point);
- spike: a tenth of USERS for the first third, then all USERS at once (spawned within
  a second), then back to a tenth for the last third (does it recover?);
- soak: USERS flat for the whole duration; the runner samples worker memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SHAPES = ("baseline", "stress", "spike", "soak")
BASELINE_USERS = 10
STRESS_STEPS = 4


@dataclass(frozen=True)
class Stage:
    label: str
    start_s: float
    end_s: float
    users: int
    spawn_rate: float


def plan(shape: str, users: int, duration: float) -> list[Stage]:
    if shape == "baseline":
        return [Stage("baseline", 0, duration, BASELINE_USERS, BASELINE_USERS / 5)]
    if shape == "stress":
        step = max(1, math.ceil(users / STRESS_STEPS))
        length = duration / STRESS_STEPS
        return [Stage(f"step {k} ({k * step} users)", (k - 1) * length, k * length, k * step, max(step / 5, 1))
                for k in range(1, STRESS_STEPS + 1)]
    if shape == "spike":
        low, third = max(1, users // 10), duration / 3
        return [Stage("before", 0, third, low, max(low / 5, 1)), Stage("spike", third, 2 * third, users, users),
                Stage("after", 2 * third, duration, low, users)]
    if shape == "soak":
        return [Stage("soak", 0, duration, users, max(users / 10, 1))]
    raise ValueError(f"unknown shape {shape!r}; one of {SHAPES}")


def tick(stages: list[Stage], run_time: float) -> tuple[int, float] | None:
    for stage in stages:
        if stage.start_s <= run_time < stage.end_s:
            return stage.users, stage.spawn_rate
    return None
