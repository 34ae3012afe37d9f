"""The server key behind per-group handles, pseudonyms and area offsets (`domain/privacy.py`), and sealed page
cursors (`cursors.Seal`).

Deployed stages read it from Secrets Manager (`IDENTITY_KEY_SECRET_ARN`, a generated
secret in the stack) through Powertools Parameters on first use; a deployed function
without it fails on its first request that shows another person, rather than falling
back to a guessable key. The local stack and the tests (stages `local` and `test`) use
`IDENTITY_KEY` when set, else a fixed development key.

Rotating the key changes every handle, pseudonym candidate and area point: handles held
by clients stop resolving and shown areas move (stored pseudonyms stay). It is therefore
not rotated on a schedule.
"""

from __future__ import annotations

from foodshare.settings import get_settings

DEVELOPMENT_STAGES = ("local", "test")
_DEVELOPMENT_KEY = b"foodshare-development-identity-key"
_cached: bytes | None = None


class IdentityKeyMissing(RuntimeError):
    pass


def key() -> bytes:
    global _cached
    if _cached is None:
        _cached = _load()
    return _cached


def _load() -> bytes:
    settings = get_settings()
    from foodshare.bots.secrets import resolve

    value = resolve(settings.identity_key)
    if value:
        return value.encode()
    if settings.stage in DEVELOPMENT_STAGES:
        return _DEVELOPMENT_KEY
    raise IdentityKeyMissing(f"IDENTITY_KEY is not configured for stage {settings.stage!r}.")


def reset() -> None:
    """Forget the cached key (tests that change the settings)."""
    global _cached
    _cached = None
