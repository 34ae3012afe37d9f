"""How posts, windows, people and exchange buttons read in a chat: shared by replies, notices and announcements.

Others are shown by `shown_name` only, the one place that decides how a person
appears in a group context (so per-group pseudonyms can replace it in one edit).
Group chats see a pickup place by its label, never its coordinates.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from foodshare import clock
from foodshare.bots.turns import Button
from foodshare.settings import get_settings

STARS = "★★★★★"


def shown_name(user_id: str, group_id: str | None = None) -> str:
    """How `user_id` appears to others (in `group_id`'s context when given): their pseudonym."""
    from foodshare.domain import users

    return users.get(user_id).pseudonym


def post_text(post, *, exact_place: bool = True) -> str:
    """Title, portions, window, place, labels; `exact_place=False` keeps coordinates out (group chats)."""
    lines = [f"🍲 {post.title}: {int(post.quantity)} portion{'s' if int(post.quantity) > 1 else ''}"]
    if exact_place:
        where = post.pickup_label or f"{float(post.pickup_lat):.5f},{float(post.pickup_lng):.5f}"
    else:
        where = post.pickup_label or "a place the sharer tells whoever claims it"
    lines.append(f"Pickup {window_text(post.pickup_start, post.pickup_end)} at {where}")
    labels = " ".join(f"#{t}" for t in post.dietary_tags or [])
    if post.allergens:
        labels += f"{' · ' if labels else ''}contains {', '.join(post.allergens)}"
    if labels:
        lines.append(labels)
    return "\n".join(lines)


def window_text(start_iso: str, end_iso: str) -> str:
    """The pickup window in the bots' time zone; in UTC when that zone cannot hold it (a window
    ending at 9999-12-31T23:59Z is a valid post, and 01:59 on 1 January 10000 in Berlin is no
    datetime: the announcement must not fail on it)."""
    name = get_settings().bot_timezone
    start, end = clock.parse_iso(start_iso), clock.parse_iso(end_iso)
    try:
        start, end = start.astimezone(ZoneInfo(name)), end.astimezone(ZoneInfo(name))
    except OverflowError:
        name = "UTC"
    end_format = "%H:%M" if start.date() == end.date() else "%a %d %b %H:%M"
    return f"{start:%a %d %b %H:%M}–{end.strftime(end_format)} ({name})"


def claim_buttons(food_id: str) -> tuple[tuple[Button, ...], ...]:
    return ((Button("Claim", f"claim:{food_id}"),),)


def exchange_buttons(exchange_id: str) -> tuple[tuple[Button, ...], ...]:
    return ((Button("Confirm pickup", f"confirm:{exchange_id}"), Button("Cancel", f"cancel:{exchange_id}")),)


def rating_buttons(exchange_id: str) -> tuple[tuple[Button, ...], ...]:
    return (tuple(Button(STARS[:n], f"rate:{exchange_id}:{n}") for n in range(1, 6)),)
