"""Version tokens: what makes a cached entry current, bumped in the write path right after each commit.

Every cached entry records the tokens of the version keys it depends on (plus the
global epoch) as read before it was served; it is served only while all of them are
unchanged. `after_commit` (an after-commit hook, see foodshare.hooks) gives new
tokens to the keys a committed change touched, before the API call returns, so no
later request in any container can be served the old state.

Tokens are minted inside Redis ("<redis ms>-<sequence>"): unique even after Redis
loses its data (a missing key is re-minted, never reset to an old value), and they
carry their age, which `Snapshot.storable` uses to refuse entries built from reads
that may not have settled yet (DynamoDB indexes and queries are eventually consistent).

All version keys share the `{fsv}` hash tag so one script reads them on a cluster.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from foodshare.cache.breaker import RedisGuard
from foodshare.cache.breaker import guard as default_guard
from foodshare.cache.scripts import LuaScript
from foodshare.observability import logger
from foodshare.settings import get_settings

if TYPE_CHECKING:
    from foodshare.events import DomainEvent

SEQUENCE = "{fsv}seq"
EPOCH = "{fsv}epoch"


def _kind(name: str) -> Callable[[str], str]:
    return lambda ident: f"{{fsv}}{name}:{ident}"


food = _kind("food")  # a group's available posts
user = _kind("user")  # a user's profile: pseudonym, score, trust level, location
memberships = _kind("member")  # which groups a user belongs to
partners = _kind("partners")  # a group's active partnerships
group = _kind("group")  # a group's own record (its name)
summary = _kind("summary")  # a group's summary and leaderboard read models


# A person's version keys name them (`{fsv}user:<id>`): they expire (`expiry_ms`), so one minted again after their
# erasure's purge (a stale entry checked in another container's memory) goes on its own. Twice the longest time an
# entry stays in Redis (strategies: 1 h): expiry costs a person's entries at most one rebuild every two hours.
PERSONAL_VERSION_TTL_MS = 2 * 3600 * 1000
_PERSONAL = (user(""), memberships(""))


def expiry_ms(key: str) -> int:
    """How long a version key lives once written, in ms; 0: until changed (a group's keys name no one)."""
    return PERSONAL_VERSION_TTL_MS if key.startswith(_PERSONAL) else 0


# KEYS[1] sequence, KEYS[2] epoch, KEYS[3..] versions; ARGV[1] == "1" renews the epoch first; ARGV[k] (k > 1): the
# expiry in ms of KEYS[k] when minted, "0" for none. Returns the Redis time in ms, then the epoch token, then one
# token per version key.
_READ = LuaScript("""
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local function mint() return now .. '-' .. redis.call('INCR', KEYS[1]) end
if ARGV[1] == '1' then redis.call('SET', KEYS[2], mint()) end
local out = redis.call('MGET', unpack(KEYS, 2))
for i = 1, #out do
  if not out[i] then
    out[i] = mint()
    local ttl = tonumber(ARGV[i + 1])
    if ttl > 0 then redis.call('SET', KEYS[i + 1], out[i], 'PX', ttl) else redis.call('SET', KEYS[i + 1], out[i]) end
  end
end
table.insert(out, 1, tostring(now))
return out
""")

# KEYS[1] sequence, KEYS[2..] versions to bump; ARGV[1] == "1": only those that exist (XX); ARGV[k] (k > 1): the
# expiry in ms of KEYS[k], "0" for none.
_BUMP = LuaScript("""
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local existing = ARGV[1] == '1'
for i = 2, #KEYS do
  local args = {KEYS[i], now .. '-' .. redis.call('INCR', KEYS[1])}
  if existing then table.insert(args, 'XX') end
  local ttl = tonumber(ARGV[i])
  if ttl > 0 then table.insert(args, 'PX'); table.insert(args, ttl) end
  redis.call('SET', unpack(args))
end
return #KEYS - 1
""")


def _expiries(keys: Iterable[str]) -> list[str]:
    return [str(expiry_ms(k)) for k in keys]


def _minted_ms(token: str) -> int:
    return int(token.split("-", 1)[0])


class Snapshot:
    """The version tokens one request has read: one script call per batch of keys it has not seen yet.

    `deps(keys)` is None once Redis is unavailable: the request then reads DynamoDB only.
    """

    def __init__(self, redis_guard: RedisGuard | None = None) -> None:
        self._guard = redis_guard or default_guard
        self._tokens: dict[str, str] = {}
        self.started_ms: int | None = None  # Redis time of the first read, before any data was loaded
        self.available = True

    def fetch(self, keys: Iterable[str]) -> bool:
        missing = list(dict.fromkeys(k for k in keys if k not in self._tokens))
        if not self.available:
            return False
        if not missing and self.started_ms is not None:
            return True
        renew = self._guard.owes_epoch
        script_keys = [SEQUENCE, EPOCH, *missing]

        def read(client):
            return _READ(client, script_keys, ["1" if renew else "0", *_expiries(script_keys[1:])])

        result = self._guard.run(read, None)
        if result is None:
            self.available = False
            return False
        if renew:
            self._guard.owes_epoch = False
            logger.info("cache epoch renewed: entries built before it are no longer served")
        now_ms, *tokens = (value.decode() if isinstance(value, bytes) else str(value) for value in result)
        if self.started_ms is None:
            self.started_ms = int(now_ms)
        self._tokens.update(zip([EPOCH, *missing], tokens))
        return True

    def deps(self, keys: Iterable[str]) -> dict[str, str] | None:
        """The current tokens of `keys` and the epoch, or None when Redis is unavailable."""
        keys = [EPOCH, *keys]
        if not self.fetch(keys):
            return None
        return {k: self._tokens[k] for k in keys}

    def current(self, deps: dict[str, str]) -> bool:
        """Whether an entry built from `deps` still shows the current state."""
        return self.fetch(deps) and all(self._tokens[k] == token for k, token in deps.items())

    def storable(self, deps: dict[str, str]) -> bool:
        """Whether an entry may be stored: every token predates this request by the settle time.

        A token minted after the request started means a write landed while its data
        was being read; one minted just before may mean an index has not caught up.
        """
        if self.started_ms is None:
            return False
        horizon = self.started_ms - get_settings().cache_settle_ms
        return all(_minted_ms(token) < horizon for token in deps.values())


def bump(keys: Iterable[str], redis_guard: RedisGuard | None = None, *, only_existing: bool = False) -> bool:
    """Give new tokens to `keys`. On failure the container owes an epoch renewal (see breaker).

    `only_existing`: leave missing keys missing (a missing key gets a token no entry holds when it is next read, so
    making it stale needs nothing): the erasure's bumps, which must not write a key naming the person again after
    the purge deleted it. Other writes create the key, so the next read finds a token old enough to store under.

    A container that owes an epoch renewal (an earlier bump failed, or its breaker opened) renews it with this bump:
    a writer that never reads the cache (posting, claiming, the consumers) would otherwise never pay it, and other
    containers would serve what the failed bump should have made stale until the entries' TTL."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return True
    used = redis_guard or default_guard
    renew = used.owes_epoch
    bumped = [*keys, EPOCH] if renew else keys
    script_keys = [SEQUENCE, *bumped]
    flags = ["1" if only_existing else "0", *_expiries(bumped)]
    done = used.run(lambda client: _BUMP(client, script_keys, flags), None)
    if done is None:
        used.owes_epoch = True
        logger.warning("cache versions not bumped; entries are not served until the epoch is renewed",
                       extra={"versionKeys": keys[:20]})
        return False
    if renew:
        used.owes_epoch = False
        logger.info("cache epoch renewed: entries built before it are no longer served")
    return True


# What each committed event makes stale, and nothing more: (kind, the payload field naming whose key, one id or a
# list). Exactly what the cached views read (docs/cache.md): a person's profile as discovery and leaderboards show it
# (`user:`: that there is one, score and trust level, home, privacy choices, the groups that banned them), their groups
# (`member:`), a group's open posts (`food:`), its members as the summary and leaderboard count and rank them
# (`summary:`), its active partnerships (`partners:`), its name (`group:`). Not here: the read models' own changes,
# made stale by their consumer once applied (`group_activity.apply`), and an erasure's, by the person and their
# groups (`cache/purge`: its events name neither). Every event type is named (tests/cache/test_what_goes_stale.py
# fails otherwise): a new one is decided on here, never left to a default.
_USER, _MEMBER_OF = ((user, "userId"),), ((memberships, "userId"), (summary, "groupId"))
_PARTNER_SETS = ((partners, "fromGroupId"), (partners, "toGroupId"))
_POSTS = ((food, "groupId"),)
STALES: dict[str, tuple[tuple[Callable[[str], str], str], ...]] = {
    "UserRegistered": _USER,  # a profile where there was none: a score, a home
    "ProfileUpdated": _USER,  # the home: partner groups' reach, distances
    "PrivacySettingsChanged": (*_USER, (summary, "groupIds")),  # restriction, precision; ranked or not
    "ReputationChanged": (*_USER, (summary, "groupIds")),  # score and trust level, on their groups' leaderboards
    "TrustLevelChanged": _USER,
    "ErasureRequested": (),  # a confirmation code
    "ErasureStarted": (),  # the freeze: cache/purge.forget, right after it (by the person and their groups)
    "ErasureSegmentRequested": (),
    "AccountErased": (),  # cache/purge.purge, before it is recorded
    "ExportRequested": (),
    "CreditsGranted": (),  # a balance: in no cached view (a claim, a cancel, a completion made the
    "CreditsHeld": (),  # profiles of both parties stale, and every page showing their posts in any group)
    "CreditsReleased": (),
    "CreditsTransferred": (),
    "GroupCreated": ((group, "groupId"),),  # its creator's MemberJoined comes with it
    "InviteCreated": (),
    "InviteRevoked": (),
    "MemberJoined": _MEMBER_OF,
    "MemberLeft": _MEMBER_OF,  # a removal and a ban record it too
    "AdminHandedOver": (),  # a role: in no cached view
    "GroupClaimQuotaChanged": (),  # claims only
    "PartnershipProposed": (),  # not active yet
    "PartnershipAccepted": _PARTNER_SETS,
    "PartnershipDeclined": (),  # never was active: no partner set changes
    "PartnershipEnded": _PARTNER_SETS,
    "FoodShared": _POSTS,  # the summary counts it: the read-model consumer, once counted
    "FoodWithdrawn": _POSTS,  # a moderator's removal too
    "FoodClaimed": _POSTS,
    "FoodExpired": _POSTS,
    "ExchangeCancelled": _POSTS,  # relisted (`foodRelisted`); else its FoodExpired or FoodWithdrawn comes with it
    "PickupConfirmed": (),  # claimed posts are listed nowhere cached
    "ExchangeCompleted": (),  # the summary: the read-model consumer; scores: ReputationChanged
    "ExchangeNoShow": (),  # its FoodExpired comes with it
    "ExchangeLapsed": (),
    "RatingSubmitted": (),  # the group's rating totals: GroupRatingsChanged, once the reputation consumer counted it
    "GroupRatingsChanged": ((summary, "groupIds"),),  # a rating counted, a ring's ratings taken back (not stored)
    "ReportFiled": (),
    "ModeratorAppointed": (),  # a role
    "ModerationActionTaken": (),  # a ban: `_changes_bans`; a removal's MemberLeft, a post's FoodWithdrawn come with it
    "MemberFlagged": (),
    "AppealFiled": (),
    "AppealDecided": (),  # an overturned ban: `_changes_bans`; a penalty taken back: ReputationChanged
    "FraudFlagged": (),  # restrictions on claiming; a ring's ratings taken back: ReputationChanged
}


def _changes_bans(event_type: str, data: dict) -> bool:
    """A ban, or an overturned one: the member's `banned_from` changed (a ban of someone who had left removes no
    membership, so no `MemberLeft` names them)."""
    return data.get("action") == "ban" and bool(data.get("memberId")) and (
        event_type == "ModerationActionTaken" or (event_type == "AppealDecided" and data.get("outcome") == "overturned"))


def keys_for(events: Iterable[DomainEvent]) -> list[str]:
    """The version keys a batch of committed events makes stale (`STALES`)."""
    keys: list[str] = []
    for event in events:
        data = event.payload
        for kind, field in STALES.get(event.type, ()):
            named = data.get(field)
            keys += [kind(ident) for ident in ([named] if isinstance(named, str) else named or ()) if ident]
        if _changes_bans(event.type, data):  # their profile's `banned_from`: what their discovery shows
            keys.append(user(data["memberId"]))
    return keys


def after_commit(events: list[DomainEvent]) -> None:
    """After-commit hook: bump what the change touched, before the API answers."""
    bump(keys_for(events))
