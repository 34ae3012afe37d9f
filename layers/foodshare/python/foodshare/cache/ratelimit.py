"""Per-user, per-route rate limits: GCRA in one Lua script, so concurrent requests never over-admit.

Limits come from settings (RATE_LIMIT_POSTING / _CLAIMS / _DISCOVERY / _REPORTS / _DEFAULT, as
"requests/seconds"). The shared API entry point (foodshare.api.http) asks `check`
for every authenticated route and answers from the decision; public routes
(/health, webhooks) are not limited. Answers carry RateLimit-Limit,
RateLimit-Remaining and RateLimit-Reset (seconds until the full allowance is back);
a refusal is 429 `rate_limited` with Retry-After. If Redis cannot answer, requests
are let through (fail open) and the log says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from foodshare import clock
from foodshare.cache.breaker import RedisGuard, guard as default_guard
from foodshare.cache.scripts import LuaScript
from foodshare.observability import logger
from foodshare.settings import get_settings

# KEYS[1] the user's bucket for a route; ARGV: limit, period ms, now ms.
# The bucket holds the "theoretical arrival time" (TAT): with an allowance of `limit`
# per `period`, a request is admitted while TAT - now <= period - interval.
_GCRA = LuaScript("""
local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local interval = period / limit
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local allowed_at = tat + interval - period
if now < allowed_at then
  return {0, 0, math.ceil(allowed_at - now), math.ceil(tat - now)}
end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.3f', new_tat), 'PX', math.ceil(new_tat - now))
return {1, math.floor((now - (new_tat - period)) / interval), 0, math.ceil(new_tat - now)}
""")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after_ms: int
    reset_ms: int

    def headers(self) -> dict[str, str]:
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(max(self.remaining, 0)),
            "RateLimit-Reset": str(math.ceil(self.reset_ms / 1000)),
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, math.ceil(self.retry_after_ms / 1000)))
        return headers


def limit_for(route_key: str) -> tuple[int, int]:
    """(requests, seconds) for a route key such as "POST /food"."""
    settings = get_settings()
    return {
        "POST /food": settings.rate_limit_posting,
        "POST /food/{foodId}/claims": settings.rate_limit_claims,
        "GET /food": settings.rate_limit_discovery,
        "POST /reports": settings.rate_limit_reports,
    }.get(route_key, settings.rate_limit_default)


def check(user_id: str, route_key: str, redis_guard: RedisGuard | None = None) -> Decision | None:
    """Count one request; None when Redis cannot answer (the caller lets the request through)."""
    limit, seconds = limit_for(route_key)
    now_ms = int(clock.now().timestamp() * 1000)
    key = f"rl:{user_id}:{route_key}"
    answer = (redis_guard or default_guard).run(lambda c: _GCRA(c, [key], [limit, seconds * 1000, now_ms]), None)
    if answer is None:
        return None
    allowed, remaining, retry_after_ms, reset_ms = (int(v) for v in answer)
    return Decision(bool(allowed), limit, remaining, retry_after_ms, reset_ms)


def take(key: str, limit: int, period_ms: int, redis_guard: RedisGuard | None = None) -> int | None:
    """Count one event against `limit` per `period_ms` under `key` (same GCRA as the API's limits).

    0 when admitted; else the milliseconds until it would be (nothing is counted);
    None when Redis cannot answer (the caller decides how to degrade).
    """
    now_ms = int(clock.now().timestamp() * 1000)
    answer = (redis_guard or default_guard).run(lambda c: _GCRA(c, [key], [limit, period_ms, now_ms]), None)
    if answer is None:
        return None
    return 0 if int(answer[0]) else max(1, int(answer[2]))
