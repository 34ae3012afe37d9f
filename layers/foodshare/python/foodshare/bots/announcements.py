"""Group chats see new food: one message per post in each chat linked to the post's group, edited as the post changes.

Reacts to the post's events (catalog consumer `announcements`), but always renders the
post's *current* state, read strongly consistent: events may arrive in any order and
more than once, and each delivery only moves the chat's message towards that state.
- A post never announced is announced only while it is still available (a claim that
  overtakes its FoodShared never creates a message about food nobody can claim).
- One worker at a time calls a chat's API for one post (a lease on its
  AnnouncementItem), so there is one sendMessage and edits never cross. The holder
  re-reads the post after recording what it showed and goes again if it moved, so a
  change that committed while it was calling the API is shown by it; a delivery that
  wants to change the message while the lease is held is retried by the queue.
- Only the post's own group's chats: partner groups' chats never see it.
- A chat that refuses for good (bot removed, chat migrated) marks the message `gone`.
- The chat shows a post only while the group's members may see it (`visibility.sees`): a post a moderator removed,
  or whose sharer restricted processing (docs/privacy.md, Art. 18), reads "no longer available", without its title
  or its sharer's name. A `PrivacySettingsChanged` brings the person's recent posts' messages to that state (and
  back when the restriction is lifted); it never sends a message that was not sent (nothing is announced late).
Each event is applied once: a `CONSUMED#announcements#<eventId>` marker (the consumers'
exactly-once record) is written when every chat is up to date, and a redelivery
finding it does nothing. A chat takes the events from when it was linked (or the bot came back
to it) on: a group with no such chat reads its chats and writes nothing, and a redelivery after a
chat was linked finds the same (a post shared meanwhile is not announced late).
"""

from __future__ import annotations

from datetime import timedelta

from foodshare import clock, consumers, ids
from foodshare.bots import outbound, rendering, slack, store, telegram, throttle
from foodshare.bots.store import ChatRef
from foodshare.bots.turns import Reply
from foodshare.consumers import Delivered, once
from foodshare.data.models import FoodItem, UserItem
from foodshare.domain import food, privacy_settings, visibility
from foodshare.observability import logger, metrics

CONSUMER = "announcements"
EVENT_TYPES = ("FoodShared", "FoodClaimed", "ExchangeCancelled", "ExchangeCompleted", "ExchangeLapsed", "FoodWithdrawn",
               "FoodExpired", "PrivacySettingsChanged", "ErasureStarted")
LEASE_MS = 30_000  # longer than the consumer's Lambda timeout (10 s): a live worker always settles in time
MAX_ROUNDS = 3
AVAILABLE, REMOVED, GONE = "available", "removed", "gone"
NOTHING, SEND, EDIT = "nothing", "send", "edit"

HEADLINES = {
    "claimed": "✅ Claimed",
    "completed": "🎉 Picked up",
    "withdrawn": "↩️ Withdrawn by the sharer",
    "expired": "⌛ Expired without being picked up",
}


def state(post: FoodItem | None, sharer_restricted: bool = False) -> str:
    """What the announcement should show: the post's status, or `removed` when the group's members may not see it
    (gone, removed by a moderator, its sharer restricted processing): a chat is read by members who are neither its
    sharer nor its claimer."""
    if post is None or not visibility.sees("", post.sharer_id, post.status, reach=visibility.MEMBER,
                                           sharer_restricted=sharer_restricted):
        return REMOVED
    return post.status


def render(post: FoodItem | None, sharer: str | None, sharer_restricted: bool = False) -> Reply:
    """The announcement for a post in a state (pure: the post, the sharer's shown name and restriction in)."""
    shown = state(post, sharer_restricted)
    if post is None or shown == REMOVED:
        return Reply("This post is no longer available.")
    if shown == AVAILABLE:
        return Reply(f"{rendering.post_text(post, exact_place=False)}\nShared by {sharer}",
                     buttons=rendering.claim_buttons(post.food_id), public=True)
    headline = HEADLINES.get(shown, shown.capitalize())
    return Reply(f"{headline}: {post.title} ({int(post.quantity)} shared by {sharer})", public=True)


def apply(event: Delivered) -> None:
    """Bring the post's message in each of its group's chats up to date; RetryLater if one must wait."""
    if event.event_type not in EVENT_TYPES:
        return
    if event.event_type in ("PrivacySettingsChanged", "ErasureStarted"):
        return _follow_privacy(event)
    food_id, group_id = event.data["foodId"], event.data["groupId"]
    chats = [c for c in store.group_chat_refs(group_id) if c.linked_since is None or c.linked_since < event.event_id]
    if not chats or consumers.applied(CONSUMER, event):
        return  # no chat took announcements when it happened: nothing to do or remember, now or on a redelivery
    failure: outbound.RetryLater | None = None
    for chat in chats:
        try:
            reconcile(food_id, group_id, chat)
        except outbound.RetryLater as exc:
            failure = exc
    if failure is not None:
        raise failure
    once(CONSUMER, event, lambda uow: None)


def _follow_privacy(event: Delivered) -> None:
    """A restriction set or lifted, or an erasure's freeze (which restricts): the messages about the person's posts
    show what the group may now see. Posts shared over twice the announcements' retention ago are left: their
    records (and so their messages' ids) expired within the retention of their posts' last change."""
    if consumers.applied(CONSUMER, event):
        return
    user_id, failure = _person(event), None
    if user_id is None:
        return  # an erasure already completed: its sweep renamed their posts' index entries
    since = clock.iso(clock.now() - timedelta(days=2 * store.ANNOUNCEMENT_RETENTION_DAYS))
    after, chats_of = None, {}
    while True:
        posts, after = food.shared_by(user_id, food.PAGE_MAX, after)
        for post in posts:
            if post.created_at < since:
                after = None
                break
            chats_of.setdefault(post.group_id, store.group_chat_refs(post.group_id))
            for chat in chats_of[post.group_id]:
                try:
                    reconcile(post.food_id, post.group_id, chat, may_send=False)
                except outbound.RetryLater as exc:
                    failure = exc
        if after is None:
            break
    if failure is not None:
        raise failure
    if any(chats_of.values()):
        once(CONSUMER, event, lambda uow: None)


def _person(event: Delivered) -> str | None:
    """Whose posts a privacy event concerns (`ErasureStarted` names only its request: its progress record the
    person, until the erasure completes)."""
    if event.event_type == "PrivacySettingsChanged":
        return event.data["userId"]
    from foodshare.domain import erasure  # the erasure's module reads far more than the announcements need

    progress = erasure.find_progress(event.data["requestId"])
    return progress.user_id if progress is not None and progress.status == erasure.IN_PROGRESS else None


def step(seen: store.Announcement | None, wanted: str, may_send: bool = True) -> str:
    """What a chat's message for a post needs now: NOTHING, SEND or EDIT (pure: the rules above). Not `may_send`:
    only a message already sent is edited (a restriction lifted announces nothing late)."""
    if seen is not None and seen.shown in (wanted, GONE):
        return NOTHING
    if seen is None or seen.message_id is None:
        return SEND if wanted == AVAILABLE and may_send else NOTHING  # never announced: only food one can claim
    return EDIT


def reconcile(food_id: str, group_id: str, chat: ChatRef, may_send: bool = True) -> None:
    owner = ids.new_id()
    for _ in range(MAX_ROUNDS):
        if step(store.announcement(food_id, chat.key), state(*_post(food_id)), may_send) == NOTHING:
            return
        held = store.lease_announcement(food_id, chat, owner, LEASE_MS)
        if held is None:
            raise outbound.RetryLater("another worker is updating this announcement")
        _update(food_id, group_id, chat, owner, held, may_send)
    raise outbound.RetryLater("the post kept changing while its announcement was updated")


def _update(food_id: str, group_id: str, chat: ChatRef, owner: str, held: store.Announcement,
            may_send: bool = True) -> None:
    """Under the lease: send or edit the message to show the post's state now, then record it."""
    post, restricted = _post(food_id)
    wanted = state(post, restricted)
    todo = step(held, wanted, may_send)
    message_id, shown = held.message_id, held.shown
    try:
        if todo != NOTHING:
            shown_by = rendering.shown_name(post.sharer_id, group_id) if wanted != REMOVED else None
            reply = render(post, shown_by, restricted)
            if todo == SEND:
                message_id = _send(chat, reply)
                metrics.add_metric(name="AnnouncementsSent", unit="Count", value=1)
            else:
                _edit(chat, message_id, reply)
                metrics.add_metric(name="AnnouncementsEdited", unit="Count", value=1)
            shown = wanted
    except outbound.Undeliverable as exc:
        logger.warning("announcement undeliverable", extra={"foodId": food_id, "platform": chat.platform,
                                                            "status": exc.status})
        shown = GONE
    except BaseException:
        store.release_announcement(food_id, chat.key, owner)
        raise
    store.settle_announcement(food_id, chat.key, owner, message_id, shown)


def _send(chat: ChatRef, reply: Reply) -> str:
    if chat.platform == telegram.PLATFORM:
        return throttle.send(chat.platform, chat.address, True, lambda: telegram.send(chat.address, reply))
    return throttle.send(chat.platform, chat.address, True, lambda: slack.post_message(chat.address, reply))


def _edit(chat: ChatRef, message_id: str, reply: Reply) -> None:
    if chat.platform == telegram.PLATFORM:
        throttle.send(chat.platform, chat.address, True, lambda: telegram.edit(chat.address, message_id, reply))
    else:
        throttle.send(chat.platform, chat.address, True, lambda: slack.update_message(chat.address, message_id, reply))


def _post(food_id: str) -> tuple[FoodItem | None, bool]:
    """The post as it is now, and whether its sharer restricted processing (both read strongly consistent)."""
    try:
        post = FoodItem.get(*FoodItem.key(food_id), consistent_read=True)
    except FoodItem.DoesNotExist:
        return None, False
    try:
        sharer = UserItem.get(*UserItem.key(post.sharer_id), consistent_read=True)
    except UserItem.DoesNotExist:
        sharer = None
    return post, privacy_settings.is_restricted(sharer)
