"""How posts, windows, people and exchange buttons read in a chat: shared by replies, notices and announcements.

Others are shown by `shown_name` only, the one place that decides how a person
appears in a group context: their pseudonym in that group (`domain/identities.py`),
never a name that is the same in every group.
Group chats never see a pickup place (neither coordinates nor label: docs/privacy.md).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from foodshare import clock
from foodshare.bots.turns import Button
from foodshare.settings import get_settings

STARS = "★★★★★"


def shown_name(user_id: str, group_id: str | None = None) -> str:
    """How `user_id` appears in `group_id`: their pseudonym there. Without a group (the person's
    own private chat about themself) their account's pseudonym, which only they see."""
    from foodshare.domain import identities, users

    if group_id is None:
        return users.get(user_id).pseudonym
    return identities.in_group(user_id, group_id).pseudonym


def post_text(post, *, exact_place: bool = True) -> str:
    """Title, portions, window, place, labels; `exact_place=False` (group chats, browsing others' posts)
    keeps both the coordinates and the label out: only the sharer and the claimer learn the place."""
    lines = [f"🍲 {post.title}: {int(post.quantity)} portion{'s' if int(post.quantity) > 1 else ''}"]
    if exact_place:
        where = post.pickup_label or f"{float(post.pickup_lat):.5f},{float(post.pickup_lng):.5f}"
    else:
        where = "a place the sharer tells whoever claims it"
    lines.append(f"Pickup {window_text(post.pickup_start, post.pickup_end)} at {where}")
    labels = " ".join(f"#{t}" for t in post.dietary_tags or [])
    if post.allergens:
        labels += f"{' · ' if labels else ''}contains {', '.join(post.allergens)}"
    if labels:
        lines.append(labels)
    return "\n".join(lines)


def fit(text: str, limit: int) -> str:
    """`text` within `limit` UTF-16 code units, cut at whole paragraphs and saying how many were left out.

    Paragraphs are the items of a list (`/browse` joins posts with a blank line), so what is shown is
    whole posts and the person learns there is more, rather than a post ending mid-label. Counted in
    UTF-16 units, as Telegram counts its entity offsets (an emoji is two): never fewer than len(), so
    within the limit however Telegram counts. A first paragraph alone too long is cut short with `…`."""
    if _units(text) <= limit:
        return text
    paragraphs = text.split("\n\n")
    for kept in range(len(paragraphs) - 1, 0, -1):
        shortened = "\n\n".join(paragraphs[:kept]) + f"\n\n… and {len(paragraphs) - kept} more not shown."
        if _units(shortened) <= limit:
            return shortened
    return text.encode("utf-16-le")[:2 * (limit - 1)].decode("utf-16-le", errors="ignore") + "…"


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def window_text(start_iso: str, end_iso: str) -> str:
    """The pickup window in the bots' time zone; in UTC when that zone cannot hold it (a window
    ending at 9999-12-31T23:59Z was a valid post before API 5.1.1 and such posts may still be shown,
    and 01:59 on 1 January 10000 in Berlin is no datetime: the announcement must not fail on it)."""
    name = get_settings().bot_timezone
    start, end = clock.parse_iso(start_iso), clock.parse_iso(end_iso)
    try:
        start, end = start.astimezone(ZoneInfo(name)), end.astimezone(ZoneInfo(name))
    except OverflowError:
        name = "UTC"
    end_format = "%H:%M" if start.date() == end.date() else "%a %d %b %H:%M"
    return f"{start:%a %d %b %H:%M}–{end.strftime(end_format)} ({name})"


REASON_LABELS = {  # domain/moderation_rules.REASONS, as a button reads
    "late": "Late", "no_show": "No-show", "cancellation": "Cancelled", "unsafe_food": "Unsafe food",
    "selling": "Selling", "spam": "Spam", "harassment": "Harassment", "other": "Other",
}


def report_button(subject_type: str, subject_id: str) -> Button:
    """Report a post ("food") or an exchange: opens the reason choice (`reason_buttons`)."""
    return Button("⚑ Report", f"report:{subject_type}:{subject_id}")


def reason_buttons(subject_type: str, subject_id: str) -> tuple[tuple[Button, ...], ...]:
    """One button per reason, two a row; `report:exchange:<26-char id>:cancellation` is 55 bytes (limit 64)."""
    choices = [Button(label, f"report:{subject_type}:{subject_id}:{reason}") for reason, label in REASON_LABELS.items()]
    return tuple(tuple(choices[i:i + 2]) for i in range(0, len(choices), 2))


def claim_buttons(food_id: str) -> tuple[tuple[Button, ...], ...]:
    return ((Button("Claim", f"claim:{food_id}"), report_button("food", food_id)),)


def exchange_buttons(exchange_id: str) -> tuple[tuple[Button, ...], ...]:
    return ((Button("Confirm pickup", f"confirm:{exchange_id}"), Button("Cancel", f"cancel:{exchange_id}")),
            (report_button("exchange", exchange_id),))


def rating_buttons(exchange_id: str) -> tuple[tuple[Button, ...], ...]:
    return (tuple(Button(STARS[:n], f"rate:{exchange_id}:{n}") for n in range(1, 6)),)


def member_evidence(user, open_reports: int) -> str:
    """A reported member's standing as `GET /groups/{groupId}/moderation` shows it to moderators: account-wide figures
    in bands (`domain/privacy.py`), so a moderator of two groups cannot match one member by exact numbers."""
    from foodshare.domain import privacy

    about = f"open reports about them: {open_reports}"
    if user is None:
        return about

    def band(count) -> str:
        lower = privacy.count_band(int(count))
        return f"{lower}+" if lower else "0"

    received = int(user.ratings_received)
    rating = (f"rating {privacy.rating_band(float(user.rating_stars_total) / received):g}★" if received
              else "no ratings")
    return (f"{user.trust_level}, score {privacy.score_band(float(user.score))}+, exchanges "
            f"{band(user.completed_count)}, no-shows {band(user.no_show_count)}, cancellations "
            f"{band(user.cancelled_count)}, {rating} · {about}")


# `/mod`'s buttons: `mod:<groupId>:<reportId or handle>:<code>` (at most 59 bytes of Telegram's 64); an upper-case
# code is the confirmation of a removal or ban, which the lower-case one asks for first.
MODERATION_CODES = {"d": "dismiss", "w": "warn", "r": "restrict", "p": "remove_post", "x": "remove_member",
                    "b": "ban"}
CONFIRMED = {"X": "remove_member", "B": "ban"}
RESTRICT_DAYS = 7  # a button's restriction (the fraud signals' restriction lasts as long)


def moderation_buttons(group_id: str, number: int, report_id: str, *, post: bool) -> tuple[tuple[Button, ...], ...]:
    """The actions on the queue's report `number` (`post`: it is about a post, which can then be removed)."""
    def button(label: str, code: str) -> Button:
        return Button(f"{label} {number}", f"mod:{group_id}:{report_id}:{code}")

    return ((button("Dismiss", "d"), button("Warn", "w"), button(f"Restrict {RESTRICT_DAYS}d", "r")),
            ((button("Remove post", "p"),) if post else ()) + (button("Remove", "x"), button("Ban", "b")))


def partnership_buttons(partnership_id: str) -> tuple[tuple[Button, ...], ...]:
    """Accept and Decline of a proposal, for the invited group's admins: `decline:<fromGroupId>-<ulid>` is 61 bytes
    (limit 64; a whole id naming both groups is 80 characters, so the button carries `partnerships.reference`)."""
    from foodshare.domain import partnerships

    reference = partnerships.reference(partnership_id)
    return ((Button("Accept", f"accept:{reference}"), Button("Decline", f"decline:{reference}")),)
