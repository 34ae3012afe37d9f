"""Data export (GDPR Art. 15 access, Art. 20 portability): `POST /me/exports`, then the document.

1. `request` records the export (pending), the data-subject request and `ExportRequested`
   in one transaction; the `exports` consumer (queue-fed) calls `build`.
2. `build` assembles one JSON document of everything stored about the person (`assemble`:
   the same one-pass rule erasure uses, `personal_data`), writes it to the export bucket
   (`exports/<exportId>.json`, encrypted at rest with SSE-S3) and marks the export ready.
3. `status` answers its state and, while ready, a download URL valid for URL_SECONDS.

Exports live EXPORT_DAYS: the bucket's lifecycle rule deletes the object and the item's TTL
the record; erasure deletes both at once (`delete_documents`). The document is sanitised:
other people appear only as they appear to the person in that group (handle and pseudonym),
never by their id.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta

from foodshare import clock, ids
from foodshare.data.models import DataSubjectRequestItem, ExportItem, UserItem, botocore_client
from foodshare.data.transaction import UnitOfWork, with_retries
from foodshare.domain import identities, personal_data, subject_requests, users
from foodshare.errors import ConcurrentUpdate, NotFound
from foodshare.settings import get_settings

EXPORT_DAYS = 7
URL_SECONDS = 300
EVENT_DAYS = 365  # the domain events that name the person: a year of them
PENDING, READY, EXPIRED = "pending", "ready", "expired"
FORMAT = "foodshare-export/1"
# Keys in stored items and events that hold a person's id: someone else's is replaced (`_others_out`).
PERSON_KEYS = frozenset({"sharerId", "claimerId", "raterId", "ratedUserId", "userId", "actorId", "createdBy",
                         "closedBy", "fromUserId", "toUserId", "anonymousId",
                         "sharer_id", "claimer_id", "rater_id", "rated_user_id", "user_id", "created_by", "actor_id"})
# Keys whose value is a JSON map keyed by people: the rating graph's neighbours (fraud.py, `RatingGraphItem`).
PERSON_MAPS = frozenset({"inbound", "outbound"})
OTHER = "someone else"


class ExportNotConfigured(RuntimeError):
    pass


def _bucket() -> str:
    bucket = get_settings().export_bucket
    if not bucket:
        raise ExportNotConfigured("EXPORT_BUCKET is not set: this function has no export bucket.")
    return bucket


def _s3():
    from botocore.config import Config

    # SigV4 presigned URLs (X-Amz-Expires): what every region accepts, and the URL carries its lifetime.
    # On an emulator (AWS_ENDPOINT_URL: the local stack) path-style URLs, as no bucket subdomain resolves there.
    emulated = {"addressing_style": "path"} if os.environ.get("AWS_ENDPOINT_URL") else None
    return botocore_client("s3", Config(signature_version="s3v4", s3=emulated))


def object_key(export_id: str) -> str:
    return f"exports/{export_id}.json"


REUSE_HOURS = 24  # an export asked for again within this answers the last one (pending or ready)


def reuses(last_export_at: str | None, now: datetime) -> bool:
    """Whether a new export request answers the last one: each build scans the whole table, so a person (or a
    retried chat command) asking again within REUSE_HOURS gets the export already on its way or ready (pure)."""
    return last_export_at is not None and clock.parse_iso(last_export_at) > now - timedelta(hours=REUSE_HOURS)


def request(user_id: str) -> ExportItem:
    """A new export, or the last one when it was asked for within REUSE_HOURS and is still to be had."""
    return with_retries(lambda: _request(user_id))


def _request(user_id: str) -> ExportItem:
    profile = users.ensure(user_id, consistent=True)  # a retry after a lost race must see the winner
    now = clock.now()
    if reuses(profile.last_export_at, now):
        last = find(user_id, profile.last_export_id)
        if last is not None and state(last, clock.iso(now)) != EXPIRED:  # not withdrawn by someone's erasure
            return last
    expires = now + timedelta(days=EXPORT_DAYS)
    export_id = ids.new_id()
    item = ExportItem(*ExportItem.key(user_id, export_id), export_id=export_id, user_id=user_id, status=PENDING,
                      requested_at=clock.iso(now), expires_at=clock.iso(expires), expires_at_epoch=expires)
    uow = UnitOfWork()
    uow.save(item, ExportItem.pk.does_not_exist())
    # As read: two requests at once make one export (the other retries, and answers it).
    unchanged = (UserItem.last_export_at == profile.last_export_at if profile.last_export_at
                 else UserItem.last_export_at.does_not_exist())
    uow.update(profile, [UserItem.last_export_id.set(export_id), UserItem.last_export_at.set(clock.iso(now))],
               UserItem.pk.exists() & unchanged, on_fail=ConcurrentUpdate("another export was asked for meanwhile"))
    subject_requests.record(uow, user_id, "access", subject_requests.PENDING,
                            detail="data export (access and portability)", request_id=export_id)
    uow.record("ExportRequested", user_id, {"exportId": export_id, "userId": user_id})
    uow.commit()
    return item


def find(user_id: str, export_id: str) -> ExportItem | None:
    try:
        return ExportItem.get(*ExportItem.key(user_id, export_id))
    except ExportItem.DoesNotExist:
        return None


def state(item: ExportItem, now_iso: str) -> str:
    """pending | ready | expired (pure)."""
    if item.expires_at <= now_iso:
        return EXPIRED
    return item.status


def status(user_id: str, export_id: str) -> tuple[ExportItem, str, str | None, str | None]:
    """The export, its state and, while ready, a download URL and when that URL stops working."""
    item = find(user_id, export_id)
    if item is None:
        raise NotFound(f"Export {export_id} not found.")
    now = clock.now()
    shown = state(item, clock.iso(now))
    if shown != READY:
        return item, shown, None, None
    url = _s3().generate_presigned_url(
        "get_object", Params={"Bucket": _bucket(), "Key": item.object_key}, ExpiresIn=URL_SECONDS
    )
    return item, shown, url, clock.iso(now + timedelta(seconds=URL_SECONDS))


def build(user_id: str, export_id: str) -> bool:
    """Assemble and store the export; False when there is nothing to do (done already, or the person is gone)."""
    item = find(user_id, export_id)
    if item is None or item.status != PENDING:
        return False
    document, others = _assembled(user_id, export_id)
    key = object_key(export_id)
    _s3().put_object(Bucket=_bucket(), Key=key, Body=json.dumps(document, indent=1, sort_keys=True).encode(),
                     ContentType="application/json", ServerSideEncryption="AES256")
    now = clock.now_iso()
    uow = UnitOfWork(allow_no_events=True)
    ready = [ExportItem.status.set(READY), ExportItem.object_key.set(key), ExportItem.ready_at.set(now)]
    if others:
        ready.append(ExportItem.mentions.set(set(others)))
    uow.update(item, ready, ExportItem.status == PENDING)
    dsr = DataSubjectRequestItem(*DataSubjectRequestItem.key(user_id, export_id))
    uow.update(dsr, [DataSubjectRequestItem.outcome.set(subject_requests.COMPLETED),
                     DataSubjectRequestItem.completed_at.set(now)], DataSubjectRequestItem.pk.exists())
    # The person not being erased as it completes: an erasure's wind-down deletes the documents there are when it
    # runs, so a build that scanned before it and writes after it would leave a copy of everything nobody deletes.
    users.keep_not_erasing(uow, user_id, on_fail=_Erased(f"{user_id} is being erased"))
    try:
        uow.commit()
    except Exception as exc:
        # Erased (or built by another delivery) meanwhile: never leave a document nobody tracks.
        if isinstance(exc, _Erased) or find(user_id, export_id) is None:
            _s3().delete_object(Bucket=_bucket(), Key=key)
            return False
        raise
    return True


class _Erased(ConcurrentUpdate):
    """The export's person is being erased (or is gone): its document must not stay."""


def withdrawn(raw: dict, now_iso: str) -> dict:
    """Someone else's export (DynamoDB JSON) once a person it mentions is erased: its document is deleted (it holds
    their words or their name in a group, copied before the erasure) and the export shows as expired, so its owner
    can ask for a new one. Run by the erasure's sweep on the item naming the person in `mentions`."""
    if "object_key" in raw:
        _s3().delete_object(Bucket=_bucket(), Key=raw["object_key"]["S"])
    item = {k: v for k, v in raw.items() if k not in ("object_key", "mentions")}
    item["expires_at"] = {"S": min(raw["expires_at"]["S"], now_iso)}
    return item


def delete_documents(user_id: str) -> int:
    """Delete the person's export documents (erasure; their items go with the erasure's rewrite)."""
    deleted = 0
    for item in ExportItem.query(f"USER#{user_id}", ExportItem.sk.startswith("EXPORT#")):
        _s3().delete_object(Bucket=_bucket(), Key=item.object_key or object_key(item.export_id))
        deleted += 1
    return deleted


# ---- the document ---------------------------------------------------------------------------------


def assemble(user_id: str, export_id: str) -> dict:
    """Everything stored about the person, by kind (docs/privacy.md, "Export")."""
    return _assembled(user_id, export_id)[0]


def _assembled(user_id: str, export_id: str) -> tuple[dict, frozenset[str]]:
    """The document, and the other people whose ids it was built from (their words or names may be in it)."""
    markers = {user_id} | set(personal_data.private_chats(user_id))
    since = clock.iso(clock.now() - timedelta(days=EVENT_DAYS))
    doc: dict[str, list | dict | str | None] = {kind: [] for kind in SECTIONS}
    doc.update(format=FORMAT, exportId=export_id, userId=user_id, generatedAt=clock.now_iso(), profile=None,
               privacySettings=None)
    exchange_groups: dict[str, str] = {}
    raw_items = [_plain(i) for i in personal_data.parallel_scan(lambda i: personal_data.names(i, markers))]
    for item in raw_items:  # exchanges first: ratings are shown in their exchange's group
        if item["pk"].startswith("EXCHANGE#") and item["sk"] == "META":
            exchange_groups[item["exchange_id"]] = item["group_id"]
    for item in raw_items:
        _file(doc, item, user_id, exchange_groups, since)
    others = frozenset(_people(raw_items, set()) - {user_id})
    for kind in SECTIONS:
        doc[kind] = _others_out(doc[kind], user_id, others)
        doc[kind].sort(key=lambda entry: json.dumps(entry, sort_keys=True, default=str))
    return doc, others


SECTIONS = ("memberships", "consents", "posts", "exchanges", "ratingsGiven", "ratingsReceived",
            "reputationHistory", "creditLedger", "partnerships", "chatLinks", "dataSubjectRequests", "exports",
            "events", "other")


def _plain(raw: dict):
    """DynamoDB JSON to plain values."""
    if isinstance(raw, dict) and len(raw) == 1:
        (kind, value), = raw.items()
        if kind == "S":
            return value
        if kind == "N":
            number = float(value)
            return int(number) if number.is_integer() else number
        if kind == "BOOL":
            return value
        if kind == "NULL":
            return None
        if kind == "L":
            return [_plain(v) for v in value]
        if kind == "M":
            return {k: _plain(v) for k, v in value.items()}
        if kind in ("SS", "NS"):
            return sorted(value)
    return {k: _plain(v) for k, v in raw.items()}


def _identity(other_id: str, group_id: str | None) -> dict:
    if not group_id:
        return {"pseudonym": OTHER}
    who = identities.in_group(other_id, group_id)
    return {"handle": who.handle, "pseudonym": who.pseudonym}


def _json(value: str):
    """The JSON object or array a string holds (the rating graph's maps, an event's detail), else None."""
    if value[:1] not in ("{", "["):
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _people(value, found: set[str], keyed_by_people: bool = False) -> set[str]:
    """Every id held under a PERSON_KEYS key, or keying a PERSON_MAPS map, anywhere in `value` (JSON documents
    inside strings included)."""
    if isinstance(value, str):
        value = _json(value)
    if isinstance(value, dict):
        if keyed_by_people:
            found.update(value)
        for k, v in value.items():
            if k in PERSON_KEYS and isinstance(v, str):
                found.add(v)
            else:
                _people(v, found, k in PERSON_MAPS)
    elif isinstance(value, list):
        for v in value:
            _people(v, found)
    return found


def _others_out(value, user_id: str, others: frozenset[str] = frozenset()):
    """The value with every other person's id replaced (their identity is given where it matters): under a
    PERSON_KEYS key, any value equal to one of `others` (ids seen by `_people`), and entries keyed by one of
    `others`, which are kept as a list under OTHER (what the person did with them is theirs; which of them is who
    is not). JSON documents inside strings are cleaned the same way and stay strings."""
    if isinstance(value, dict):
        out, theirs = {}, []
        for k, v in value.items():
            if k in others:
                theirs.append(_others_out(v, user_id, others))
            elif k in PERSON_KEYS and isinstance(v, str) and v != user_id:
                out[k] = OTHER
            else:
                out[k] = _others_out(v, user_id, others)
        if theirs:  # sorted: the order of a map keyed by ids would tell them apart
            out[OTHER] = sorted(theirs, key=lambda entry: json.dumps(entry, sort_keys=True, default=str))
        return out
    if isinstance(value, list):
        return [_others_out(v, user_id, others) for v in value]
    if isinstance(value, str):
        if value in others:
            return OTHER
        document = _json(value)
        if document is not None:
            cleaned = _others_out(document, user_id, others)
            if cleaned != document:
                return json.dumps(cleaned, separators=(",", ":"), sort_keys=True)
    return value


# (`sharer_departed`: an exchange's mark of its sharer's departure from the group, for a cancel: about the sharer,
# not for the claimer's export; the sharer's own departure is in their memberships' events.)
_BOOKKEEPING = ("pk", "sk", "by_user_pk", "by_user_sk", "avail_pk", "avail_sk", "expiry_pk", "expiry_sk",
                "outbox_pk", "outbox_sk", "expires_at_epoch", "code_hash", "rep_seq", "rep_pending", "sharer_departed")


def _fields(item: dict) -> dict:
    return {k: v for k, v in item.items() if k not in _BOOKKEEPING}


def _file(doc: dict, item: dict, user_id: str, exchange_groups: dict[str, str], since: str) -> None:
    pk, sk = item["pk"], item["sk"]
    if pk == f"USER#{user_id}":
        if sk == "PROFILE":
            doc["profile"] = _fields(item)
            doc["privacySettings"] = {"restricted": bool(item.get("restricted")),
                                      "leaderboard": item.get("leaderboard") is not False,
                                      "locationPrecision": item.get("location_precision") or "area"}
            return
        section = {"CONSENT#": "consents", "REPHIST#": "reputationHistory", "CREDIT#": "creditLedger",
                   "DSR#": "dataSubjectRequests", "EXPORT#": "exports", "CONTACT#": "chatLinks"}
        for prefix, kind in section.items():
            if sk.startswith(prefix):
                doc[kind].append(_others_out(_fields(item), user_id))
                return
    elif pk.startswith("USER#") and (sk == "GRAPH" or sk.startswith("REPHIST#")):
        # A neighbour's rating graph and reputation history are theirs (exact scores would tell them apart across
        # groups): the person's pairs with them are in the person's own graph, their ratings in `ratingsGiven`.
        return
    if pk.startswith("GROUP#") and sk == f"MEMBER#{user_id}":
        doc["memberships"].append(_fields(item))
        return
    if pk.startswith("FOOD#") and sk == "META":
        doc["posts"].append(_others_out(_fields(item), user_id))
        return
    if pk.startswith("EXCHANGE#"):
        group_id = exchange_groups.get(pk.removeprefix("EXCHANGE#"))
        if sk == "META":
            entry = _others_out(_fields(item), user_id)
            other = item["claimer_id"] if item.get("sharer_id") == user_id else item.get("sharer_id")
            entry["role"] = "sharer" if item.get("sharer_id") == user_id else "claimer"
            entry["counterpart"] = _identity(other, item.get("group_id")) if other else None
            doc["exchanges"].append(entry)
        elif sk == f"RATING#{user_id}":
            entry = _others_out(_fields(item), user_id)
            entry["ratedUser"] = _identity(item.get("rated_user_id", ""), group_id)
            doc["ratingsGiven"].append(entry)
        elif sk.startswith("RATING#") and item.get("rated_user_id") == user_id:
            entry = _others_out(_fields(item), user_id)
            entry["rater"] = _identity(item.get("rater_id", ""), group_id)
            doc["ratingsReceived"].append(entry)
        return
    if pk.startswith("PARTNERSHIP#") or sk.startswith("PARTNER#"):
        doc["partnerships"].append(_others_out(_fields(item), user_id))
        return
    if pk.startswith(("CHAT#", "CONVO#")) or sk.startswith("CHAT#"):
        doc["chatLinks"].append(_others_out(_fields(item), user_id))
        return
    if pk.startswith("EVENTLOG#"):
        envelope = json.loads(item["detail"])
        if envelope.get("occurredAt", "") >= since:
            doc["events"].append(_others_out(envelope, user_id))
        return
    if pk.startswith(("IDEMPOTENCY#", "CONSUMED#", "OUTBOX#")):
        return  # bookkeeping: copies of requests and events already listed
    doc["other"].append(_others_out(_fields(item), user_id))
