"""Lua scripts run by hash (EVALSHA), sent in full only when Redis does not know them yet."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any


class LuaScript:
    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    def __call__(self, client: Any, keys: Sequence[str], args: Sequence[Any] = ()) -> Any:
        from redis.exceptions import NoScriptError

        try:
            return client.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:  # first use since Redis started (or after SCRIPT FLUSH)
            return client.eval(self.source, len(keys), *keys, *args)
