"""Telling people in their chat what concerns them, from the domain events on the bus.

Who hears what: the sharer when food is claimed or a post expires; the other
participant when one side confirms or cancels; both sides (except whoever completed
it, who got the question in their own reply) get a rating request on completion; both
sides when the settlement job closes an exchange nobody closed (completed on one
confirmation, or lapsed: no actor, so no one is left out).
Whoever acted already saw the outcome where they acted, so they are never told.

Each (event, recipient) is sent at most once: a sent-marker taken with a conditional
write before sending and marked sent after; a failure releases it for the queue's retry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from foodshare.bots import outbound, rendering, slack, store, telegram, throttle
from foodshare.bots.turns import Reply
from foodshare.domain import (
    exchanges, food, groups, partnership_rules, partnerships, privacy_settings, users, visibility,
)
from foodshare.observability import logger, metrics

LEASE_SECONDS = 60  # a crashed sender's marker is taken over after this
PARTNERSHIP_EVENTS = ("PartnershipProposed", "PartnershipAccepted", "PartnershipDeclined", "PartnershipEnded")
EVENT_TYPES = ("FoodClaimed", "PickupConfirmed", "ExchangeCompleted", "ExchangeCancelled", "ExchangeLapsed",
               "FoodExpired", "ModerationActionTaken", "AppealDecided", *PARTNERSHIP_EVENTS)
MODERATION_WORDS = {
    "dismiss": "reviewed your report and dismissed it",
    "warn": "warned you",
    "remove_post": "removed your post",
    "restrict": "restricted you from posting and claiming",
    "remove_member": "removed you from the group",
    "ban": "banned you from the group",
}


@dataclass(frozen=True)
class Notice:
    user_id: str
    group_id: str  # whose chat to use when the person has no private chat with the bot
    reply: Reply
    private: bool = False  # never through the group's chat (moderation concerns only the member)
    in_group: Reply | None = None  # what the group's chat may read instead, when it is told through it (its members
    # may not see the post: no title; no moderation cause)


def notices(detail: dict) -> list[Notice]:
    """What an event (the bus `detail`: eventType, actorId, data) means for each person concerned."""
    kind, data, actor = detail.get("eventType"), detail.get("data") or {}, detail.get("actorId")
    if kind not in EVENT_TYPES:
        return []
    if kind in ("ModerationActionTaken", "AppealDecided"):
        return _moderation_notices(kind, data)
    if kind in PARTNERSHIP_EVENTS:
        return _partnership_notices(kind, data, actor)
    still_open = True
    if kind == "PickupConfirmed":
        exchange = exchanges.get_for_participant(data["exchangeId"], actor)
        still_open = exchange.status == exchanges.CLAIMED  # else completed since: no confirm button any more
        data = data | {"sharerId": exchange.sharer_id, "claimerId": exchange.claimer_id, "groupId": exchange.group_id}
    post = food.find(data["foodId"])
    # The actor as the exchange's group knows them (never a name that is the same in every group); nobody by name
    # while they restrict processing (an erasure's freeze included): no notice processes their identity.
    profile = users.find(actor) if actor else None
    sharer = (profile if actor == post.sharer_id else users.find(post.sharer_id)) if post else None
    actor_name = rendering.shown_name(actor, data["groupId"]) if profile and not profile.restricted else "Someone"

    def title(viewer: str | None) -> str:
        """The post's title for whoever reads the notice (None: the group's chat), only while they see the post:
        not once its sharer restricted processing, a moderator removed it, or (a claimer) their exchange closed."""
        part = (visibility.ACTIVE if kind in ("FoodClaimed", "PickupConfirmed") and still_open else visibility.CLOSED) \
            if viewer == data.get("claimerId") else None
        seen = post is not None and visibility.sees(viewer or "", post.sharer_id, post.status, exchange=part,
                                                    reach=visibility.MEMBER if viewer is None else None,
                                                    sharer_restricted=privacy_settings.is_restricted(sharer))
        return post.title if seen else ("your food" if viewer == data["sharerId"] else "the food")

    recipients, say = _texts(kind, data, actor_name, still_open)
    return [Notice(who, data["groupId"], say(title(who), False), in_group=say(title(None), True))
            for who in recipients if who != actor]


def _texts(kind: str, data: dict, actor_name: str, still_open: bool) -> tuple[tuple[str, ...], Callable]:
    """Who hears of the event, and what (`say(title, in_group)`: the group's chat reads no moderation cause)."""
    both = (data["sharerId"], data["claimerId"]) if "claimerId" in data else (data["sharerId"],)
    if kind == "FoodClaimed":
        return (data["sharerId"],), lambda title, _: Reply(
            f"{actor_name} claimed your {title}. Confirm once you have handed it over.",
            buttons=rendering.exchange_buttons(data["exchangeId"]))
    if kind == "PickupConfirmed":
        if not still_open:
            return both, lambda title, _: Reply(f"{actor_name} confirmed the pickup of {title}.")
        return both, lambda title, _: Reply(f"{actor_name} confirmed the pickup of {title}. Please confirm too.",
                                            buttons=rendering.exchange_buttons(data["exchangeId"]))
    if kind == "ExchangeCompleted":
        done = ("was completed on one confirmation, as nobody raised anything after its pickup window"
                if data.get("settled") else "is complete")
        return both, lambda title, _: Reply(f"The exchange of {title} {done}. How was it?",
                                            buttons=rendering.rating_buttons(data["exchangeId"]))
    if kind == "ExchangeLapsed":
        return both, lambda title, _: Reply(
            f"The exchange of {title} was closed: nobody confirmed the pickup after its window. "
            "The claimer's credit was given back.")
    if kind == "ExchangeCancelled":
        gone = data.get("cause") and data["closedBy"] == data["sharerId"]  # the removed sharer's post goes next
        again = " It is available again." if data.get("foodRelisted") and not gone else ""

        def cancelled(title: str, in_group: bool) -> Reply:
            if not data.get("cause"):
                return Reply(f"{actor_name} cancelled the exchange of {title}.{again}")
            if in_group:  # a moderation decision concerns the member alone: the group's chat reads no reason
                return Reply(f"The exchange of {title} was cancelled.{again}")
            return Reply(f"The exchange of {title} was cancelled: the group's moderators removed one of you from "
                         f"it.{again}")
        return both, cancelled
    # FoodExpired
    return (data["sharerId"],), lambda title, _: Reply(f"Your post {title} expired without being picked up.")


def _moderation_notices(kind: str, data: dict) -> list[Notice]:
    """The member an action concerns hears what was decided and why (the reason is read from the
    action record: events carry ids only), privately."""
    from foodshare.domain import moderation

    action = next((a for a in moderation.actions_about(data["memberId"]) if a.action_id == data["actionId"]), None)
    if action is None:
        return []
    if kind == "ModerationActionTaken":
        until = f" until {action.until[:10]}" if action.until else ""
        text = (f"A moderator of your group {MODERATION_WORDS[action.action]}{until}. Reason: {action.reason}. "
                "You may appeal once (POST /appeals).")
    else:
        text = f"Your appeal against '{MODERATION_WORDS[action.action]}' was {data['outcome']}."
    return [Notice(data["memberId"], data["groupId"], Reply(text), private=True)]


def _partnership_notices(kind: str, data: dict, actor: str | None) -> list[Notice]:
    """The other side's admins hear of a partnership's change, privately (a proposal is the admins' business until
    it is accepted): the invited group's of a proposal, with Accept and Decline while it is still pending; the
    proposing group's of the answer; the other group's of an end. Groups are named, never the admin who acted (a
    person's name is personal data; a group's is not). Whoever acted is not told, also when admin of both groups."""
    from_id, to_id = data["fromGroupId"], data["toGroupId"]
    told = partnership_rules.told(kind, from_id, to_id, data.get("byGroupId"))
    if told is None:
        return []
    partnership, names = partnerships.with_names(data["partnershipId"], (from_id, to_id))
    if kind == "PartnershipProposed" and (partnership is None or partnership.status != partnerships.PENDING):
        return []  # answered or withdrawn before this delivery: nothing left to answer (its own event is told)
    other = names.get(to_id if told == from_id else from_id, "(a group without a name)")
    yours = names.get(told, "(without a name)")
    text = _partnership_text(kind, data, other, yours, partnership)
    buttons = rendering.partnership_buttons(data["partnershipId"]) if kind == "PartnershipProposed" else ()
    return [Notice(admin, told, Reply(text, buttons=buttons), private=True)
            for admin in groups.admin_ids(told) if admin != actor]


def _partnership_text(kind: str, data: dict, other: str, yours: str, partnership) -> str:
    if kind == "PartnershipProposed":
        terms = partnerships.Terms.of(partnership.terms)
        return (f"The group {other} proposes a partnership to your group {yours}: members of each group could claim "
                f"the other's posts within {terms.max_distance_km:g} km of their home, with a reputation of at least "
                f"{terms.min_reputation:g}, up to {terms.max_claims_per_member_per_week} claims a week each. "
                "Accept or decline it here.")
    if kind == "PartnershipAccepted":
        return (f"{other} accepted your group {yours}'s partnership proposal: members of each group can now claim "
                "the other's posts on its terms.")
    if kind == "PartnershipDeclined":
        return f"{other} declined your group {yours}'s partnership proposal."
    if data.get("previousStatus") == "pending":
        if data.get("byGroupId") == data["fromGroupId"]:
            return f"{other} withdrew its partnership proposal to your group {yours}."
        return f"{other} turned down your group {yours}'s partnership proposal."
    return (f"{other} ended its partnership with your group {yours}: members of each group no longer see or claim "
            "the other's posts.")


def handle(detail: dict) -> None:
    """Send every notice of one event; raise after trying them all if any must be retried."""
    failure: Exception | None = None
    for notice in notices(detail):
        try:
            deliver(detail["eventId"], notice)
        except outbound.RetryLater as exc:
            failure = exc
    if failure is not None:
        raise failure


def deliver(event_id: str, notice: Notice) -> None:
    if not notice.user_id.startswith(("tg:", "slack:")):
        return  # an HTTP API user: no chat to tell
    if privacy_settings.is_restricted(users.find(notice.user_id)):
        return  # restricted processing: no notifications
    if not store.take_notice(event_id, notice.user_id, LEASE_SECONDS):
        if store.notice_status(event_id, notice.user_id) == "sending":
            raise outbound.RetryLater("another worker is sending this notification")
        return  # already sent (or found undeliverable)
    try:
        _send(notice)
    except outbound.Undeliverable as exc:
        logger.warning("notification undeliverable", extra={"eventId": event_id, "status": exc.status})
        store.finish_notice(event_id, notice.user_id, "undeliverable")
        metrics.add_metric(name="NotificationsUndeliverable", unit="Count", value=1)
        return
    except BaseException:
        store.release_notice(event_id, notice.user_id)
        raise
    store.finish_notice(event_id, notice.user_id, "sent")
    metrics.add_metric(name="NotificationsSent", unit="Count", value=1)


def _send(notice: Notice) -> None:
    reply, in_group = notice.reply, False
    if notice.user_id.startswith("tg:"):
        chat_id = store.private_chat(notice.user_id, telegram.PLATFORM)
        if chat_id is None and notice.private:
            raise outbound.Undeliverable(0, "no private Telegram chat with this person")
        if chat_id is None:
            chats = store.group_chats(notice.group_id, telegram.PLATFORM)
            if not chats:
                raise outbound.Undeliverable(0, "no Telegram chat to reach this person")
            chat_id, in_group = chats[0], True
            reply = notice.in_group or reply
            reply = Reply(f"{rendering.shown_name(notice.user_id, notice.group_id)}: {reply.text}", buttons=reply.buttons)
        throttle.send(telegram.PLATFORM, chat_id, in_group, lambda: telegram.send(chat_id, reply))
    else:
        channel = store.private_chat(notice.user_id, slack.PLATFORM) or notice.user_id.rsplit(":", 1)[1]
        throttle.send(slack.PLATFORM, channel, False, lambda: slack.post_message(channel, reply))
