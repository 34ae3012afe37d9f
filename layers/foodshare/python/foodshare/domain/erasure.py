"""Erasure (GDPR Art. 17): `POST /me/erasure` gives a code, `DELETE /me` with it erases the account.

**At once, in the request** (`start`: two calls, whatever the person has open):

1. The code is checked; in one transaction the profile is frozen (`restricted`, as the privacy
   restriction does: out of discovery, reputation look-ups, leaderboards and notifications) and
   marked `erasing` (the account can no longer act: `users.ensure` refuses it, consumers treat it
   as gone), the anonymous id (`anon-<ulid>`) is fixed, the progress record
   (`ERASURE#<requestId>/PROGRESS`) written and one `ErasureStarted` event recorded.

**Asynchronously** (the `erasure` consumer, one queue message each):

2. `ErasureStarted` → `wind_down`: through the ordinary domain operations, found through the
   `by_user` index (their posts, the exchanges they claimed, their memberships: one query; domain/closing.py,
   which a member's departure from one group reuses, domain/departures.py), so
   counterparts are notified and credits move as always: open exchanges are cancelled (the
   claimer's credit released), available posts withdrawn, memberships ended as a leave ends them
   (`groups.leave`: a last admin hands the group over to its longest-standing member in the same
   transaction). Their export documents are deleted from
   the bucket. Then one transaction marks the progress wound down and records one
   `ErasureSegmentRequested` event per scan segment (so no segment sweeps before the wind-down has
   written what it writes). Its cost grows with what the person has open, so it is not the
   request's: the answer's time does not, and no operation of it can time the request out.
3. `ErasureSegmentRequested` → `sweep_segment`: each segment of a parallel scan
   (`personal_data.scan_segment`) rewrites every item that names the person: what others need
   stays under the anonymous id, so exchanges, ratings' stars, ledgers, counts and the event store
   still add up; someone else's record that only refers to the person (a counterpart's history line,
   a member's moderation action, a group's quota) is kept with the reference rewritten (`kept`);
   everything personal is deleted or blanked (profile name, location and pseudonym,
   posts' titles, descriptions, places and labels, comments they wrote, consents, contacts, chat
   links to their private chat, bot conversations and notices, idempotency records, pseudonym
   claims, export records, and in the event store (and outbox) their ids, their posts' titles and
   their registration pseudonym). A segment is idempotent: the anonymous id is fixed before any
   segment runs, a moved item is written under its new key before the old one is deleted, and a
   rewritten item no longer names the person, so a redelivered or retried segment finds what is
   left and finishes it. The segment that completes the set returns the person's markers; the
   consumer purges the cache and calls `complete`, which records the request completed and
   `AccountErased`, and drops the ids from the progress record (it then names nobody). The started
   request (`USER#<id>/ERASURE`) is left by the sweep and deleted by `complete`: until then no call
   under the person's id registers a new account (their profile moved, nothing else would refuse it).

Technique for the event store: personal data stays out of events (ids only, see
docs/privacy.md), and the ids are rewritten here; the EventBridge archive keeps the old ids
until its retention ends.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from pynamodb.attributes import NumberAttribute, NumberSetAttribute, TTLAttribute, UnicodeAttribute, UnicodeSetAttribute

from foodshare import clock, identity_key, ids
from foodshare.data.models import (
    DataSubjectRequestItem,
    Item,
    UserItem,
    table_connection,
)
from foodshare.data.transaction import UnitOfWork
from foodshare.domain import closing, exports, groups, personal_data, subject_requests, users
from foodshare.errors import ConcurrentUpdate, Forbidden, NotFound, ValidationFailed
from foodshare.settings import get_settings

CODE_VALIDITY = timedelta(hours=3)
ERASED = "erased"
IN_PROGRESS, COMPLETED = "in_progress", "completed"
PROGRESS_KEPT = timedelta(days=31)  # the progress record (naming nobody once completed) answers GET /me/erasure/{id}


class ErasureRequestItem(Item):
    """USER#<id> / ERASURE: the pending confirmation (hashed code, 3 h) and, once started, the anonymous id."""

    code_hash = UnicodeAttribute()
    expires_at = UnicodeAttribute()
    anonymous_id = UnicodeAttribute(null=True)
    request_id = UnicodeAttribute()
    expires_at_epoch = TTLAttribute(null=True)

    @staticmethod
    def key(user_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", "ERASURE"


class ErasureProgressItem(Item):
    """ERASURE#<requestId> / PROGRESS: the sweep's state. While it runs it holds the person's id, markers and
    anonymous id (the segments read them here, not from events); completing removes them, so it names nobody."""

    request_id = UnicodeAttribute()
    status = UnicodeAttribute()  # in_progress | completed
    total_segments = NumberAttribute()
    done_segments = NumberSetAttribute(null=True)
    started_at = UnicodeAttribute()
    completed_at = UnicodeAttribute(null=True)
    anonymous_id = UnicodeAttribute(null=True)
    user_id = UnicodeAttribute(null=True)
    markers = UnicodeSetAttribute(null=True)  # what names them in the table: their id, their private chats' keys
    chat_addresses = UnicodeSetAttribute(null=True)  # their private chats as the bots' Redis keys name them
    group_ids = UnicodeSetAttribute(null=True)
    wound_down_at = UnicodeAttribute(null=True)  # set with the segments' events (`wind_down`)
    expires_at_epoch = TTLAttribute(null=True)

    @staticmethod
    def key(request_id: str) -> tuple[str, str]:
        return f"ERASURE#{request_id}", "PROGRESS"


@dataclass(frozen=True)
class Erased:
    anonymous_id: str
    markers: frozenset[str]  # the ids, chat keys and chat addresses that named the person (for the cache purge)
    group_ids: tuple[str, ...]


def _hash(code: str) -> str:
    return hmac.new(identity_key.key(), code.encode(), hashlib.sha256).hexdigest()


def request(user_id: str) -> tuple[str, str]:
    """A confirmation code for erasing the caller's account and when it expires."""
    if users.refuse_if_erasing(users.find(user_id)) is None:
        raise NotFound("There is no account to erase.")
    code = secrets.token_hex(4).upper()
    expires = clock.now() + CODE_VALIDITY
    request_id = ids.new_id()
    uow = UnitOfWork()
    uow.save(ErasureRequestItem(*ErasureRequestItem.key(user_id), code_hash=_hash(code),
                                expires_at=clock.iso(expires), request_id=request_id,
                                expires_at_epoch=expires))
    subject_requests.record(uow, user_id, "erasure", subject_requests.PENDING,
                            detail="confirmation code issued", request_id=request_id)
    uow.record("ErasureRequested", user_id, {"userId": user_id, "expiresAt": clock.iso(expires)})
    uow.commit()
    return code, clock.iso(expires)


def start(user_id: str, code: str, group_ids_of: Callable[[str], list[str]] = groups.group_ids_of) -> ErasureProgressItem:
    """Check the code, freeze the account and queue its wind-down and sweep (`wind_down`): one read and one
    transaction, whatever the person has open. Idempotent: a repeated request with the same code answers the
    erasure already under way. `group_ids_of`: the person's groups, whose cached views the caller makes stale at
    once (the API passes the cached ones: cache/group_reads.member_groups); the wind-down adds any it finds."""
    try:
        pending = ErasureRequestItem.get(*ErasureRequestItem.key(user_id))
    except ErasureRequestItem.DoesNotExist:
        raise Forbidden("Ask for a confirmation code first (POST /me/erasure).", code="erasure_not_requested")
    if pending.expires_at <= clock.now_iso():
        raise Forbidden("The confirmation code has expired; ask for a new one.", code="erasure_code_expired")
    if not hmac.compare_digest(pending.code_hash, _hash(code.strip().upper())):
        raise ValidationFailed("The confirmation code is wrong.", fields={"confirmationCode": "not the code issued"})
    if pending.anonymous_id is not None:
        progress = find_progress(pending.request_id)
        if progress is not None:
            return progress
    anon = ids.anonymous_id()
    total = get_settings().scan_segments
    now = clock.now_iso()
    progress = ErasureProgressItem(*ErasureProgressItem.key(pending.request_id), request_id=pending.request_id,
                                   status=IN_PROGRESS, total_segments=total, started_at=now, anonymous_id=anon,
                                   user_id=user_id, markers={user_id}, group_ids=set(group_ids_of(user_id)) or None)
    uow = UnitOfWork()
    # Started, the request stays (no expiry) until `complete` deletes it: until then it refuses a registration under
    # the person's id (`users.refuse_registration_while_erasing`), which the sweep moving their profile would allow.
    uow.update(pending, [ErasureRequestItem.anonymous_id.set(anon), ErasureRequestItem.expires_at_epoch.remove()],
               ErasureRequestItem.anonymous_id.does_not_exist(),
               on_fail=ConcurrentUpdate("The erasure has already started."))
    uow.update(UserItem(*UserItem.key(user_id)),
               [UserItem.restricted.set(True), UserItem.erasing.set(True), UserItem.updated_at.set(now)],
               UserItem.pk.exists(), on_fail=NotFound("There is no account to erase."))
    uow.save(progress, ErasureProgressItem.pk.does_not_exist())
    subject_requests.record(uow, user_id, "erasure", subject_requests.PENDING, request_id=pending.request_id,
                            detail="erasing: the account is frozen; it is wound down and swept within minutes")
    uow.record("ErasureStarted", None, {"requestId": pending.request_id, "totalSegments": total})
    uow.commit()
    return progress


def wind_down(request_id: str) -> Erased | None:
    """The erasure's wind-down (`ErasureStarted`, on the erasure queue): end what the person has open, delete their
    export documents, then queue the sweep, one `ErasureSegmentRequested` per segment, in the transaction that marks
    the progress wound down. Returns what the cache must forget (their markers and groups); None when it was
    already done (a redelivery). A retry after a crash midway finds what is left: each step checks the state it
    changes, and the groups are recorded on the progress before any is left, so their cached views still go."""
    progress = find_progress(request_id)
    if progress is None or progress.status == COMPLETED or progress.wound_down_at is not None:
        return None
    user_id = progress.user_id
    group_ids = set(progress.group_ids or ())

    def step() -> None:  # read again on a conflict (a counterpart cancelled or confirmed meanwhile)
        owned = _owned(user_id)
        if set(owned.group_ids) - group_ids:
            group_ids.update(owned.group_ids)
            progress.update(actions=[ErasureProgressItem.group_ids.add(group_ids)])
        _wind_down(user_id, owned)

    closing.reading_again(step)
    chats = personal_data.private_chats(user_id)
    markers = {user_id} | set(chats)
    exports.delete_documents(user_id)  # their export items go with the sweep
    total = int(progress.total_segments)
    uow = UnitOfWork()
    uow.update(progress, [ErasureProgressItem.wound_down_at.set(clock.now_iso()),
                          ErasureProgressItem.markers.add(markers),
                          *([ErasureProgressItem.chat_addresses.add(set(chats.values()))] if chats else [])],
               ErasureProgressItem.wound_down_at.does_not_exist() & (ErasureProgressItem.status == IN_PROGRESS),
               on_fail=ConcurrentUpdate("wound down meanwhile"))
    for segment in range(total):  # one queue message each: a segment is its own invocation and retry
        uow.record("ErasureSegmentRequested", None,
                   {"requestId": request_id, "segment": segment, "totalSegments": total})
    try:
        uow.commit()
    except ConcurrentUpdate:
        return None  # a concurrent delivery of the same event queued the sweep
    return Erased(progress.anonymous_id, frozenset(markers | set(chats.values())), tuple(sorted(group_ids)))


def find_progress(request_id: str) -> ErasureProgressItem | None:
    try:
        return ErasureProgressItem.get(*ErasureProgressItem.key(request_id))
    except ErasureProgressItem.DoesNotExist:
        return None


def progress_of(request_id: str) -> ErasureProgressItem:
    progress = find_progress(request_id)
    if progress is None:
        raise NotFound(f"Erasure {request_id} not found.")
    return progress


def sweep_segment(request_id: str, segment: int, total_segments: int) -> Erased | None:
    """Rewrite what one segment of the table holds about the person. Returns what the cache must forget
    once every segment is done (the caller purges it, then calls `complete`); None otherwise."""
    progress = find_progress(request_id)
    if progress is None or progress.status == COMPLETED:
        return None  # completed before this redelivery: nothing names the person any more
    if int(progress.total_segments) != total_segments:
        raise ValueError(f"erasure {request_id} has {progress.total_segments} segments, not {total_segments}")
    if segment not in (progress.done_segments or set()):
        _rewrite(progress.user_id, progress.anonymous_id, set(progress.markers),
                 personal_data.scan_segment(segment, total_segments, _sweep_keeps(set(progress.markers))))
        progress.update(actions=[ErasureProgressItem.done_segments.add({segment})])
    if len(progress.done_segments or set()) < total_segments:
        return None
    return Erased(progress.anonymous_id, frozenset(progress.markers | (progress.chat_addresses or set())),
                  tuple(sorted(progress.group_ids or ())))


def complete(request_id: str) -> bool:
    """Record the erasure completed (once every segment is swept); False when it already was."""
    progress = find_progress(request_id)
    if progress is None or progress.status == COMPLETED:
        return False
    if len(progress.done_segments or set()) < int(progress.total_segments):
        raise ValueError(f"erasure {request_id}: segments still to sweep")
    anon, now = progress.anonymous_id, clock.now()
    uow = UnitOfWork()
    uow.update(progress, [ErasureProgressItem.status.set(COMPLETED), ErasureProgressItem.completed_at.set(clock.iso(now)),
                          ErasureProgressItem.expires_at_epoch.set(now + PROGRESS_KEPT),
                          ErasureProgressItem.anonymous_id.remove(), ErasureProgressItem.user_id.remove(),
                          ErasureProgressItem.markers.remove(), ErasureProgressItem.chat_addresses.remove(),
                          ErasureProgressItem.group_ids.remove()],
               ErasureProgressItem.status == IN_PROGRESS, on_fail=ConcurrentUpdate("completed meanwhile"))
    uow.update(DataSubjectRequestItem(*DataSubjectRequestItem.key(anon, request_id)),
               [DataSubjectRequestItem.outcome.set(subject_requests.COMPLETED),
                DataSubjectRequestItem.completed_at.set(clock.iso(now)),
                DataSubjectRequestItem.detail.set("account erased; statistics kept under an anonymous id")],
               DataSubjectRequestItem.pk.exists())
    uow.delete(ErasureRequestItem(*ErasureRequestItem.key(progress.user_id)))  # registering is open again
    uow.record("AccountErased", None, {"anonymousId": anon, "groupIds": sorted(progress.group_ids or ())})
    try:
        uow.commit()
    except ConcurrentUpdate:
        if (find_progress(request_id) or progress).status == COMPLETED:
            return False
        raise
    return True


# ---- 1. wind down -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Owned:
    """What the by_user index holds for a person: memberships, posts, claimed exchanges (raw items)."""

    group_ids: tuple[str, ...]
    posts: tuple[dict, ...]
    claims: tuple[dict, ...]


def _owned(user_id: str) -> Owned:
    found: dict[str, list] = {"GROUP#": [], "FOOD#": [], "EXCHANGE#": []}
    for page in closing.pages(user_id):
        for item in page:
            kind = item["by_user_sk"]["S"].split("#", 1)[0] + "#"
            if kind == "EXCHANGE#" and item["sk"]["S"] != "META":
                continue  # their entry as an exchange's sharer (SharerEntryItem): found through their posts
            if kind in found:
                found[kind].append(item)
    return Owned(tuple(i["by_user_sk"]["S"].removeprefix("GROUP#") for i in found["GROUP#"]),
                 tuple(found["FOOD#"]), tuple(found["EXCHANGE#"]))


def _wind_down(user_id: str, owned: Owned) -> None:
    # Theirs as claimer and as sharer, those they confirmed alone too (the erasure ends them, not their call)
    closing.cancel(closing.open_exchanges(owned.posts, owned.claims), user_id, erasing=True)
    closing.withdraw(owned.posts, user_id)  # after the cancels: the posts they re-listed go too
    for group_id in owned.group_ids:  # a group they are the last admin of goes to its longest-standing member
        groups.leave(group_id, user_id)


# ---- 2. rewrite --------------------------------------------------------------------------------


def _sweep_keeps(markers: set[str]):
    """Which scanned items the sweep rewrites: every item naming the person, and every idempotency record
    (they keep a bot's answers, the person's words, for a day without saying whose update they were: all
    of them go; a redelivery inside that day is then applied again). Sweeps' own progress records and the
    started request are left alone (cleared and deleted when their erasure completes)."""
    return lambda i: not i["pk"]["S"].startswith("ERASURE#") and i["sk"]["S"] != "ERASURE" and (
        i["pk"]["S"].startswith("IDEMPOTENCY#") or personal_data.names(i, markers))


def _rewrite(user_id: str, anon: str, markers: set[str], items) -> None:
    """Rewrite each item: the new one is written before the old key is deleted, so a crash in between
    leaves the old item (still naming the person) for the retried segment, never a loss."""
    client = table_connection().connection.client
    table = get_settings().table_name
    for raw in list(items):
        if _others_export(raw, user_id):  # its document holds something of theirs: deleted, the export expired
            raw = exports.withdrawn(raw, clock.now_iso())
        new = _rewritten(raw, user_id, anon, markers)
        if new is not None:
            client.put_item(TableName=table, Item=new)
        if new is None or (new["pk"], new["sk"]) != (raw["pk"], raw["sk"]):
            client.delete_item(TableName=table, Key={"pk": raw["pk"], "sk": raw["sk"]})


def _s(value: str) -> dict:
    return {"S": value}


def _others_export(raw: dict, user_id: str) -> bool:
    """Someone else's data export that mentions the person (`ExportItem.mentions`)."""
    pk, sk = raw["pk"]["S"], raw["sk"]["S"]
    return pk.startswith("USER#") and pk != f"USER#{user_id}" and sk.startswith("EXPORT#") \
        and user_id in raw.get("mentions", {}).get("SS", ())


# What the person keeps in their own partition that others need (their history, ledger, request record, score):
# moved to the anonymous id. The rest of it goes (contacts, consents, caps, counters, the erasure request, the
# moderation actions taken about them).
_KEPT_OF_THEIRS = ("PROFILE", "CREDIT#", "REPHIST#", "DSR#")
# Items elsewhere that are theirs, not someone else's record that mentions them: keyed by them as the subject
# (membership, activity mark, quota slot, reporter record, flag, restriction, ban, notice), or held for them
# (`user_id`: pseudonym claims, handles, flags; `member_id`: their appeals).
_SUBJECT_KEYS = ("MEMBER#", "ACTIVE#", "QUOTA#", "REPORTER#", "OPENFLAG#", "FLAG#", "RESTRICTED#", "BANNED#", "TO#")
_SUBJECT_FIELDS = ("user_id", "member_id")
# What an item holds of the person beside their id, dropped when the field on the left is them: what they wrote,
# their name in the group (kept on exchanges and posts).
_BESIDE_THEIR_ID = {"rater_id": ("comment",), "reporter_id": ("details",), "sharer_id": ("sharer_pseudonym",),
                    "claimer_id": ("claimer_pseudonym",)}


def kept(raw: dict, user_id: str, markers: set[str]) -> bool:
    """Whether the sweep keeps an item naming the person (under the anonymous id) or deletes it. Deleted: their own
    data no one else needs, their chats and idempotency records, the invites they made (dead since the wind-down).
    Kept: what others' histories need of theirs, and every record of someone else that only refers to them (a
    counterpart's history line, a member's moderation action, a group's settings): deleting those would take from
    the others what is theirs."""
    pk, sk = raw["pk"]["S"], raw["sk"]["S"]
    if pk.startswith(("IDEMPOTENCY#", "CONVO#", "CHAT#")) or sk.startswith("CHAT#"):
        return False  # bots' bookkeeping, conversations, links to their private chat
    if pk == f"USER#{user_id}":
        return sk.startswith(_KEPT_OF_THEIRS)
    if sk.startswith(_SUBJECT_KEYS) and sk.split("#")[1] == user_id:
        return False
    if any(raw.get(field, {}).get("S") == user_id for field in _SUBJECT_FIELDS):
        return False
    if sk.startswith("INVITE") and raw.get("created_by", {}).get("S") == user_id:
        return False  # an invite they made: it stopped working as the wind-down ended their memberships
    return not personal_data.names(raw, markers - {user_id})  # a chat address of theirs: a chat of theirs


def _blanked(item: dict, user_id: str) -> dict:
    """The item without what is personal beside the person's id: their profile's name, places, the groups they
    left and those that banned them, their posts' words and places, what they wrote, their names in groups, their
    titles and pseudonym in the event store."""
    pk, sk = item["pk"]["S"], item["sk"]["S"]
    item = dict(item)
    if pk == f"USER#{user_id}" and sk == "PROFILE":
        item["pseudonym"] = _s(ERASED)
        for field in ("display_name", "lat", "lng", "erasing", "restricted", "departed_groups", "banned_from"):
            item.pop(field, None)
    if pk.startswith("FOOD#") and sk == "META" and item.get("sharer_id", {}).get("S") == user_id:
        item.update(title=_s(ERASED), pickup_lat={"N": "0"}, pickup_lng={"N": "0"})
        for field in ("description", "pickup_label"):
            item.pop(field, None)
    if pk.startswith("EVENTLOG#"):
        envelope = json.loads(item["detail"]["S"])
        data = envelope.get("data") or {}
        if envelope.get("eventType") == "FoodShared" and data.get("sharerId") == user_id:
            data["title"] = ERASED
        if envelope.get("eventType") == "UserRegistered" and data.get("userId") == user_id:
            data["pseudonym"] = ERASED
        item["detail"] = _s(json.dumps(envelope, separators=(",", ":"), sort_keys=True))
    for field, beside in _BESIDE_THEIR_ID.items():
        if item.get(field, {}).get("S") == user_id:
            for other in beside:
                item.pop(other, None)
    return item


def _renamed(value, user_id: str, anon: str):
    """`value` (DynamoDB JSON) with every mention of the person as `anon`: a whole string or a `#`-separated part of
    one (keys, `by_user_pk`), a set's member, and in a JSON document inside a string its keys and values (an event
    envelope, a rating graph's neighbours, a flag's ring)."""
    if isinstance(value, dict):
        return {k: _renamed(v, user_id, anon) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, user_id, anon) for v in value]
    if not isinstance(value, str):
        return value
    if value[:1] in "{[" and user_id in value:
        try:
            document = json.loads(value)
        except ValueError:
            pass
        else:
            return json.dumps(_renamed_document(document, user_id, anon), separators=(",", ":"), sort_keys=True)
    return "#".join(anon if part == user_id else part for part in value.split("#"))


def _renamed_document(value, user_id: str, anon: str):
    if isinstance(value, dict):
        return {(anon if k == user_id else k): _renamed_document(v, user_id, anon) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed_document(v, user_id, anon) for v in value]
    return anon if value == user_id else value


def _rewritten(raw: dict, user_id: str, anon: str, markers: set[str]) -> dict | None:
    """The item with the person replaced by `anon` and what is personal beside their id blanked, or None to
    delete it (`kept`)."""
    if not kept(raw, user_id, markers):
        return None
    return _renamed(_blanked(raw, user_id), user_id, anon)
