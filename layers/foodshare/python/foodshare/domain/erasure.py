"""Erasure (GDPR Art. 17): `POST /me/erasure` gives a code, `DELETE /me` with it erases the account.

1. **Wind down** through the ordinary domain operations, so counterparts are notified and
   credits move as always: open exchanges are cancelled (the claimer's credit released),
   available posts withdrawn, memberships ended (a last admin hands the group over to its
   longest-standing member first).
2. **Rewrite** every item that names the person (one pass over the table, `_rewrite`):
   what others need stays under a random anonymous id (`anon-<ulid>`), so exchanges,
   ratings' stars, ledgers, counts and the event store still add up; everything personal
   is deleted or blanked: profile name, location and pseudonym, posts' titles,
   descriptions, places and labels, comments they wrote, consents, contacts, chat links to
   their private chat, bot conversations and notices, idempotency records, pseudonym
   claims, exports (the documents in the export bucket and their records), and in the event
   store (and outbox) their ids, their posts' titles and their registration pseudonym.
3. The cache is purged by the caller (`cache/purge.py`: the domain does not reach the cache).

The pass reads the whole table: erasure is rare and must find items no index leads to
(posts and exchanges have no by-user index); it is re-runnable (a second `DELETE /me`
with the same code continues with the same anonymous id). Technique for the event store:
personal data stays out of events (ids only, see docs/privacy.md), and the ids are
rewritten here; the EventBridge archive keeps the old ids until its retention ends.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta

from pynamodb.attributes import TTLAttribute, UnicodeAttribute

from foodshare import clock, identity_key, ids
from foodshare.data.models import (
    ExchangeItem,
    FoodItem,
    GroupItem,
    Item,
    MembershipItem,
    table_connection,
)
from foodshare.data.transaction import UnitOfWork
from foodshare.domain import exchanges, exports, food, groups, personal_data, subject_requests, users
from foodshare.errors import Forbidden, NotFound, ValidationFailed
from foodshare.settings import get_settings

CODE_VALIDITY = timedelta(hours=3)
ERASED = "erased"


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


@dataclass(frozen=True)
class Erased:
    anonymous_id: str
    markers: frozenset[str]  # the ids and chat addresses that named the person (for the cache purge)
    group_ids: tuple[str, ...]


def _hash(code: str) -> str:
    return hmac.new(identity_key.key(), code.encode(), hashlib.sha256).hexdigest()


def request(user_id: str) -> tuple[str, str]:
    """A confirmation code for erasing the caller's account and when it expires."""
    if users.find(user_id) is None:
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


def erase(user_id: str, code: str) -> Erased:
    try:
        pending = ErasureRequestItem.get(*ErasureRequestItem.key(user_id))
    except ErasureRequestItem.DoesNotExist:
        raise Forbidden("Ask for a confirmation code first (POST /me/erasure).", code="erasure_not_requested")
    if pending.expires_at <= clock.now_iso():
        raise Forbidden("The confirmation code has expired; ask for a new one.", code="erasure_code_expired")
    if not hmac.compare_digest(pending.code_hash, _hash(code.strip().upper())):
        raise ValidationFailed("The confirmation code is wrong.", fields={"confirmationCode": "not the code issued"})
    if pending.anonymous_id is None:
        pending.update(actions=[ErasureRequestItem.anonymous_id.set(f"anon-{ids.new_id()}")])
    anon = pending.anonymous_id
    group_ids = tuple(groups.group_ids_of(user_id))
    markers = {user_id} | personal_data.chat_addresses(user_id)
    _wind_down(user_id, group_ids)
    exports.delete_documents(user_id)  # their export items go with the rewrite below
    _rewrite(user_id, anon, markers)
    uow = UnitOfWork()
    subject_requests.record(uow, anon, "erasure", detail="account erased; statistics kept under an anonymous id",
                            request_id=pending.request_id)
    uow.record("AccountErased", None, {"anonymousId": anon, "groupIds": list(group_ids)})
    uow.commit()
    return Erased(anon, frozenset(markers), group_ids)


# ---- 1. wind down -----------------------------------------------------------------------------


def _wind_down(user_id: str, group_ids: tuple[str, ...]) -> None:
    for item in personal_data.scan(lambda i: i["sk"]["S"] == "META" and i["pk"]["S"].startswith("EXCHANGE#")):
        exchange = ExchangeItem.from_raw_data(item)
        if exchange.status == exchanges.CLAIMED and user_id in (exchange.sharer_id, exchange.claimer_id):
            exchanges.cancel(exchange.exchange_id, user_id)
    for item in personal_data.scan(lambda i: i["sk"]["S"] == "META" and i["pk"]["S"].startswith("FOOD#")):
        post = FoodItem.from_raw_data(item)
        if post.sharer_id == user_id and post.status == food.AVAILABLE:
            food.withdraw(post.food_id, user_id)
    for group_id in group_ids:
        _hand_over_if_last_admin(group_id, user_id)
        groups.leave(group_id, user_id)


def _hand_over_if_last_admin(group_id: str, user_id: str) -> None:
    group = groups.find(group_id)
    member = groups.membership(group_id, user_id)
    if group is None or member is None or member.role != groups.ADMIN or int(group.admin_count) > 1:
        return
    others = sorted((m for m in MembershipItem.query(f"GROUP#{group_id}", MembershipItem.sk.startswith("MEMBER#"))
                     if m.user_id != user_id), key=lambda m: m.joined_at)
    if not others:
        return  # the group ends with its last member
    heir = others[0]
    uow = UnitOfWork()
    uow.update(heir, [MembershipItem.role.set(groups.ADMIN)], MembershipItem.role == groups.MEMBER)
    uow.update(group, [GroupItem.admin_count.add(1)])
    uow.record("AdminHandedOver", None, {"groupId": group_id, "userId": heir.user_id})
    uow.commit()


# ---- 2. rewrite --------------------------------------------------------------------------------


def _swap(value, user_id: str, anon: str):
    if isinstance(value, dict):
        return {k: _swap(v, user_id, anon) for k, v in value.items()}
    if isinstance(value, list):
        return [_swap(v, user_id, anon) for v in value]
    return anon if value == user_id else value


def _rewrite(user_id: str, anon: str, markers: set[str]) -> None:
    client = table_connection().connection.client
    table = get_settings().table_name
    # Idempotency records keep a bot's answers (the person's words) for a day without saying whose
    # update they were: all of them go. A redelivery inside that day is then applied again.
    for raw in list(personal_data.scan(lambda i: i["pk"]["S"].startswith("IDEMPOTENCY#") or personal_data.names(i, markers))):
        new = _rewritten(raw, user_id, anon, markers)
        key = {"pk": raw["pk"], "sk": raw["sk"]}
        if new is None or (new["pk"], new["sk"]) != (raw["pk"], raw["sk"]):
            client.delete_item(TableName=table, Key=key)
        if new is not None:
            client.put_item(TableName=table, Item=new)


def _s(value: str) -> dict:
    return {"S": value}


def _rewritten(raw: dict, user_id: str, anon: str, markers: set[str]) -> dict | None:
    """The item with the person replaced by `anon` and personal fields blanked, or None to delete it."""
    pk, sk = raw["pk"]["S"], raw["sk"]["S"]
    item = dict(raw)
    if pk.startswith("IDEMPOTENCY#"):
        return None
    if pk == f"USER#{user_id}":
        if sk == "PROFILE":
            item.update(pk=_s(f"USER#{anon}"), user_id=_s(anon), pseudonym=_s(ERASED))
            for field in ("display_name", "lat", "lng"):
                item.pop(field, None)
            return item
        if sk.startswith(("CREDIT#", "REPHIST#", "DSR#")):  # what counterparts' histories and the ledger need
            item.update(pk=_s(f"USER#{anon}"))
            if "user_id" in item:
                item["user_id"] = _s(anon)
            return item
        return None  # contacts, consents, caps, partner-claim counters, the erasure request
    if pk.startswith("USER#") and sk == "GRAPH":  # a neighbour's rating graph keeps the pair under `anon`
        for field in ("inbound", "outbound"):
            if field in item:
                pairs = json.loads(item[field]["S"])
                if user_id in pairs:
                    pairs[anon] = pairs.pop(user_id)
                item[field] = _s(json.dumps(pairs, separators=(",", ":"), sort_keys=True))
        return item
    if pk.startswith("EVENTLOG#"):
        envelope = json.loads(raw["detail"]["S"])
        data = envelope.get("data") or {}
        if envelope.get("eventType") == "FoodShared" and data.get("sharerId") == user_id:
            data["title"] = ERASED
        if envelope.get("eventType") == "UserRegistered" and data.get("userId") == user_id:
            data["pseudonym"] = ERASED
        envelope = _swap(envelope, user_id, anon)
        item["detail"] = _s(json.dumps(envelope, separators=(",", ":"), sort_keys=True))
        if item.get("actor_id", {}).get("S") == user_id:
            item["actor_id"] = _s(anon)
        return item
    if pk.startswith("EXCHANGE#"):
        if sk == f"RATING#{user_id}":
            item.update(sk=_s(f"RATING#{anon}"), rater_id=_s(anon))
            item.pop("comment", None)  # they wrote it
        for field in ("sharer_id", "claimer_id", "rated_user_id"):
            if item.get(field, {}).get("S") == user_id:
                item[field] = _s(anon)
                item.pop(field.replace("_id", "_pseudonym"), None)  # their name in the group, kept on the exchange
        return item
    if pk.startswith("FOOD#") and item.get("sharer_id", {}).get("S") == user_id:
        item.update(sharer_id=_s(anon), title=_s(ERASED), pickup_lat={"N": "0"}, pickup_lng={"N": "0"})
        for field in ("description", "pickup_label", "sharer_pseudonym"):
            item.pop(field, None)
        return item
    if (pk.startswith(("GROUP#", "INVITE#", "PARTNERSHIP#")) and sk in ("META", "INVITE")) \
            or sk.startswith("PARTNER#"):
        if item.get("created_by", {}).get("S") == user_id:
            item["created_by"] = _s(anon)
        return item if not personal_data.names(item, markers) else _swap_plain(item, user_id, anon)
    return None  # active-member marks, pseudonym claims, chats, conversations, notices, idempotency records


def _swap_plain(item: dict, user_id: str, anon: str) -> dict:
    return {k: (_s(anon) if v.get("S") == user_id else v) for k, v in item.items()}
