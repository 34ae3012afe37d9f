"""What the bots do, the same on every platform: commands, button actions and the guided /share flow.

Each entry point takes a Turn (who, in which chat) and returns a platform-neutral Reply
that the adapters render. Every change goes through the domain (the same rules and
events as the HTTP API); a DomainError becomes a friendly answer, never an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from foodshare import clock
from foodshare.bots import parsing, store
from foodshare.bots.store import ChatRef
from foodshare.domain import credits, discovery, exchanges, food, groups, ratings, users
from foodshare.errors import Conflict, DomainError, ValidationFailed
from foodshare.settings import get_settings

BROWSE_LIMIT = 5
LEDGER_LINES = 5
STARS = "★★★★★"


@dataclass(frozen=True)
class Button:
    label: str
    action: str  # "<verb>:<id>[:<arg>]", at most 64 bytes (Telegram's callback_data limit)


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    public: bool = False  # everyone in the chat should see it (Slack in_channel)
    expects_answer: bool = False  # the next plain message answers it (Telegram force_reply)
    replaces: bool = False  # replaces the message whose button was pressed
    notice: str | None = None  # one-line acknowledgement of a button press


@dataclass(frozen=True)
class Turn:
    user_id: str  # the Foodshare user: "tg:<id>" or "slack:<team>:<user>"
    chat: ChatRef
    can_converse: bool  # the platform delivers plain-text answers (Telegram does, Slack commands do not)


HELP = """Foodshare: share food with your group and partner groups.
/start: join this chat's group (the first /start in a group chat creates it)
/share: share food step by step, or in one line:
  /share Vegetable soup | 3 | 18:00-20:00 | 52.37,4.89 Community hall | #vegan !celery
/browse [#tag] [!allergen] [lat,lng Nkm]: what you can claim
/claim <foodId>, /confirm <exchangeId>, /cancel <exchangeId>
/rate <exchangeId> <1-5> [comment]
/rep: your reputation · /credits: your credits
Others only ever see your pseudonym."""


def _answering(action: Callable[[], Reply]) -> Reply:
    try:
        return action()
    except DomainError as exc:
        return Reply(f"⚠️ {exc.message}", notice=exc.message)


# ---- entry points ----------------------------------------------------------------------


def on_command(turn: Turn, command: parsing.Command) -> Reply:
    handler = COMMANDS.get(command.name)
    if handler is None:
        return Reply(f"I don't know /{command.name}.\n\n{HELP}")
    return _answering(lambda: handler(turn, command.args))


def on_action(turn: Turn, action: str) -> Reply:
    verb, _, rest = action.partition(":")
    handler = ACTIONS.get(verb)
    if handler is None or not rest:
        return Reply("That button is no longer valid.", notice="That button is no longer valid.")
    return _answering(lambda: handler(turn, rest))


def on_answer(turn: Turn, text: str | None = None, location: tuple[float, float] | None = None) -> Reply | None:
    """A plain message: the next answer of an open /share flow, or None (not for the bot)."""
    flow = store.conversation(turn.chat.key, turn.user_id)
    if flow is None:
        return None
    return _answering(lambda: _advance(turn, flow, text, location))


# ---- membership ------------------------------------------------------------------------


def _start(turn: Turn, _: str) -> Reply:
    user = users.ensure(turn.user_id)
    if not turn.chat.is_group:
        store.remember_private_chat(turn.user_id, turn.chat.platform, turn.chat.address)
        return Reply(f"Hi {user.pseudonym}! I'll tell you here when something concerns you.\n\n{HELP}")
    group_id = store.linked_group(turn.chat.key)
    if group_id is None:
        group_id = store.create_linked_group(turn.chat, turn.user_id)
        if group_id is not None:
            return Reply(
                f"This chat is now a Foodshare group, with {user.pseudonym} as its admin. "
                "Everyone here: send /start to join, then /share food.",
                public=True,
            )
        group_id = store.linked_group(turn.chat.key)
    try:
        groups.add_member(group_id, turn.user_id)
    except Conflict as exc:
        if exc.code != "already_member":
            raise
        return Reply(f"{user.pseudonym}, you are already a member of this group.")
    return Reply(f"Welcome to the group, {user.pseudonym}! /browse to see what's shared.", public=True)


def _help(turn: Turn, _: str) -> Reply:
    return Reply(HELP)


def _chat_group(turn: Turn) -> str | None:
    """The group a group chat stands for (the caller must be a member); None in a private chat."""
    if not turn.chat.is_group:
        return None
    group_id = store.linked_group(turn.chat.key)
    if group_id is None or groups.membership(group_id, turn.user_id) is None:
        raise Conflict("Send /start here first to join this chat's group.", code="not_joined")
    return group_id


# ---- sharing ---------------------------------------------------------------------------

STEPS = ("title", "quantity", "window", "place", "labels")
PROMPTS = {
    "title": "What are you sharing? A short title, e.g. “Vegetable soup”.",
    "quantity": "How many portions (1-10)?",
    "window": "When can it be picked up? e.g. 2h, 90m, 18:00-20:00 or now-20:00.",
    "place": "Where? Send a location, or type `lat,lng label`, e.g. `52.37,4.89 Community hall`.",
    "labels": "Dietary tags and allergens, e.g. `#vegan #halal !nuts`, or `none`.",
    "group": "Which group is it for?",
}


def _share(turn: Turn, args: str) -> Reply:
    users.ensure(turn.user_id)
    draft: dict = {}
    group_id = _chat_group(turn)
    if group_id:
        draft["groupId"] = group_id
    if not args:
        if not turn.can_converse:
            return Reply("Share in one line:\n/food share Vegetable soup | 3 | 18:00-20:00 | 52.37,4.89 Hall | #vegan !celery")
        return _ask(turn, "title", draft, None)
    parts = [p.strip() for p in args.split("|")]
    if len(parts) < 4:
        raise ValidationFailed(
            "Write: title | portions | window | lat,lng place [| #tags !allergens], or just /share to be guided.",
            fields={"share": "needs at least 4 parts separated by |"},
        )
    for step, answer in zip(STEPS, parts[:5]):
        draft |= _read(step, answer, None)
    return _complete(turn, draft, None)


def _ask(turn: Turn, step: str, draft: dict, flow: store.Conversation | None) -> Reply:
    store.save_conversation(turn.chat.key, turn.user_id, step, draft, flow)
    return _prompt(turn, step)


def _prompt(turn: Turn, step: str, problem: str | None = None) -> Reply:
    text = f"{PROMPTS[step]}  (/cancel to stop)"
    if step != "group":
        return Reply(f"⚠️ {problem}\n{text}" if problem else text, expects_answer=True)
    names = groups.names(set(groups.group_ids_of(turn.user_id)))
    return Reply(text, buttons=tuple((Button(name[:40], f"group:{gid}"),) for gid, name in sorted(names.items(), key=lambda x: x[1])))


def _read(step: str, text: str | None, location: tuple[float, float] | None) -> dict:
    """One answer of the flow, validated, as draft fields."""
    if step == "place" and location is not None:
        lat, lng = parsing.coordinates(*location)
        return {"lat": lat, "lng": lng, "label": None}
    if text is None:
        raise ValidationFailed("Please answer with text.", fields={step: "expected text"})
    if step == "title":
        return {"title": parsing.title(text)}
    if step == "quantity":
        return {"quantity": parsing.portions(text)}
    if step == "window":
        start, end = parsing.window(text)
        return {"start": clock.iso(start), "end": clock.iso(end)}
    if step == "place":
        lat, lng, label = parsing.place(text)
        return {"lat": lat, "lng": lng, "label": label}
    labels = parsing.labels(text)
    return {"tags": list(labels.tags), "allergens": list(labels.allergens)}


def _advance(turn: Turn, flow: store.Conversation, text: str | None, location: tuple[float, float] | None) -> Reply:
    if flow.step == "group":
        return _prompt(turn, "group")
    try:
        draft = flow.draft | _read(flow.step, text, location)
    except ValidationFailed as exc:
        return _prompt(turn, flow.step, exc.message)
    following = STEPS.index(flow.step) + 1
    if following < len(STEPS):
        return _ask(turn, STEPS[following], draft, flow)
    return _complete(turn, draft, flow)


def _complete(turn: Turn, draft: dict, flow: store.Conversation | None) -> Reply:
    """Publish the draft, first asking for the group when the chat does not say which."""
    if "groupId" not in draft:
        mine = groups.group_ids_of(turn.user_id)
        if not mine:
            raise Conflict("You are not in a group yet: add me to your group chat and send /start there.",
                           code="no_group")
        if len(mine) > 1:
            return _ask(turn, "group", draft, flow)
        draft["groupId"] = mine[0]
    post = food.share(
        turn.user_id,
        food.NewPost(
            group_id=draft["groupId"],
            title=draft["title"],
            description=None,
            quantity=draft["quantity"],
            dietary_tags=draft.get("tags", []),
            allergens=draft.get("allergens", []),
            lat=draft["lat"],
            lng=draft["lng"],
            label=draft.get("label"),
            pickup_start=clock.parse_iso(draft["start"]),
            pickup_end=clock.parse_iso(draft["end"]),
        ),
    )
    if flow is not None:
        store.end_conversation(turn.chat.key, turn.user_id)
    sharer = users.get(turn.user_id)
    return Reply(
        f"{post_text(post)}\nShared by {sharer.pseudonym} ({sharer.trust_level})",
        buttons=((Button("Claim", f"claim:{post.food_id}"),),),
        public=True,
    )


def _choose_group(turn: Turn, group_id: str) -> Reply:
    flow = store.conversation(turn.chat.key, turn.user_id)
    if flow is None or flow.step != "group":
        return Reply("That share has timed out; start again with /share.", notice="Timed out")
    groups.require_member(group_id, turn.user_id)
    return _complete(turn, flow.draft | {"groupId": group_id}, flow)


def post_text(post) -> str:
    lines = [f"🍲 {post.title}: {int(post.quantity)} portion{'s' if int(post.quantity) > 1 else ''}"]
    where = post.pickup_label or f"{float(post.pickup_lat):.5f},{float(post.pickup_lng):.5f}"
    lines.append(f"Pickup {window_text(post.pickup_start, post.pickup_end)} at {where}")
    labels = " ".join(f"#{t}" for t in post.dietary_tags or [])
    if post.allergens:
        labels += f"{' · ' if labels else ''}contains {', '.join(post.allergens)}"
    if labels:
        lines.append(labels)
    return "\n".join(lines)


def window_text(start_iso: str, end_iso: str) -> str:
    zone = ZoneInfo(get_settings().bot_timezone)
    start, end = clock.parse_iso(start_iso).astimezone(zone), clock.parse_iso(end_iso).astimezone(zone)
    end_format = "%H:%M" if start.date() == end.date() else "%a %d %b %H:%M"
    return f"{start:%a %d %b %H:%M}–{end.strftime(end_format)} ({get_settings().bot_timezone})"


# ---- discovery and exchanges -----------------------------------------------------------


def _browse(turn: Turn, args: str) -> Reply:
    wanted = parsing.browse_filters(args)
    lat, lng = wanted.place or (None, None)
    results, _ = discovery.discover(
        turn.user_id,
        discovery.Filters(
            lat=lat, lng=lng, radius_km=wanted.radius_km, tags=wanted.labels.tags,
            exclude_allergens=wanted.labels.allergens, limit=BROWSE_LIMIT,
        ),
    )
    if not results:
        return Reply("Nothing you can claim right now. /share something yourself?")
    blocks, buttons = [], []
    for number, result in enumerate(results, 1):
        distance = f", {result.distance_km:.1f} km" if result.distance_km is not None else ""
        origin = f"partner group {result.group_name}" if result.from_partner_group else result.group_name
        blocks.append(
            f"{number}. {post_text(result.post)}\n"
            f"   by {result.sharer.pseudonym} ({result.sharer.trust_level}) in {origin}{distance}"
        )
        buttons.append((Button(f"Claim {number}: {result.post.title[:30]}", f"claim:{result.post.food_id}"),))
    return Reply("\n\n".join(blocks), buttons=tuple(buttons))


def _claim(turn: Turn, food_id: str) -> Reply:
    if not food_id:
        raise ValidationFailed("Which food? /claim <foodId>, or press Claim under a post.", fields={"foodId": "required"})
    exchange = exchanges.claim(food_id.strip(), turn.user_id)
    post = food.find(exchange.food_id)
    sharer = users.get(exchange.sharer_id)
    return Reply(
        f"You claimed {post.title} from {sharer.pseudonym}.\n"
        f"Pickup {window_text(post.pickup_start, post.pickup_end)} at "
        f"{post.pickup_label or ''} ({float(post.pickup_lat):.5f},{float(post.pickup_lng):.5f}).\n"
        "Confirm once you have it.",
        buttons=exchange_buttons(exchange.exchange_id),
        notice="Claimed!",
    )


def exchange_buttons(exchange_id: str) -> tuple[tuple[Button, ...], ...]:
    return ((Button("Confirm pickup", f"confirm:{exchange_id}"), Button("Cancel", f"cancel:{exchange_id}")),)


def rating_buttons(exchange_id: str) -> tuple[tuple[Button, ...], ...]:
    return (tuple(Button(STARS[:n], f"rate:{exchange_id}:{n}") for n in range(1, 6)),)


def _other_party(exchange, user_id: str) -> str:
    return users.get(exchange.claimer_id if user_id == exchange.sharer_id else exchange.sharer_id).pseudonym


def _confirm(turn: Turn, exchange_id: str) -> Reply:
    if not exchange_id:
        raise ValidationFailed("Which exchange? /confirm <exchangeId>.", fields={"exchangeId": "required"})
    exchange = exchanges.confirm(exchange_id.strip(), turn.user_id)
    other = _other_party(exchange, turn.user_id)
    if exchange.status == exchanges.COMPLETED:
        return Reply(
            f"Exchange complete, thank you! How was it with {other}?",
            buttons=rating_buttons(exchange.exchange_id),
            replaces=True,
            notice="Exchange complete",
        )
    return Reply(f"Pickup confirmed. Waiting for {other} to confirm too.", replaces=True, notice="Confirmed")


def _cancel(turn: Turn, exchange_id: str) -> Reply:
    if not exchange_id:
        if store.conversation(turn.chat.key, turn.user_id) is None:
            raise ValidationFailed("Which exchange? /cancel <exchangeId>.", fields={"exchangeId": "required"})
        store.end_conversation(turn.chat.key, turn.user_id)
        return Reply("OK, nothing was shared.")
    exchange = exchanges.cancel(exchange_id.strip(), turn.user_id)
    post = food.find(exchange.food_id)
    again = "it is available again" if post.status == food.AVAILABLE else "its pickup window is over"
    return Reply(f"Exchange cancelled: your credit is released and {again}.", replaces=True, notice="Cancelled")


def _rate(turn: Turn, args: str) -> Reply:
    words = args.replace(":", " ").split(maxsplit=2)
    if len(words) < 2 or not words[1].isdigit() or not 1 <= int(words[1]) <= 5:
        raise ValidationFailed("Write /rate <exchangeId> <1-5> [comment].", fields={"stars": "1 to 5"})
    comment = words[2].strip()[:500] if len(words) > 2 else None
    stars = int(words[1])
    rating = ratings.rate(words[0], turn.user_id, stars, comment)
    rated = users.get(rating.rated_user_id).pseudonym
    return Reply(f"Thanks! You rated {rated} {STARS[:stars]}.", replaces=True, notice="Thanks for rating")


def _rep(turn: Turn, _: str) -> Reply:
    user = users.ensure(turn.user_id)
    ratings_received = int(user.ratings_received)
    average = f"{float(user.rating_stars_total) / ratings_received:.1f}★ from {ratings_received}" if ratings_received else "no ratings yet"
    return Reply(
        f"{user.pseudonym}: reputation {float(user.score):g} ({user.trust_level})\n"
        f"shared {int(user.shared_count)} · completed {int(user.completed_count)} · "
        f"cancelled {int(user.cancelled_count)} · no-shows {int(user.no_show_count)} · {average}"
    )


def _credits(turn: Turn, _: str) -> Reply:
    user = users.ensure(turn.user_id)
    entries, _ = credits.ledger(turn.user_id, LEDGER_LINES, None)
    lines = [f"Credits: {int(user.credit_balance)} (held for claims: {int(user.credits_held)})"]
    lines += [f"{int(e.amount):+d} {e.reason.replace('_', ' ')} → {int(e.balance_after)}  {e.created_at[:10]}" for e in entries]
    return Reply("\n".join(lines))


COMMANDS: dict[str, Callable[[Turn, str], Reply]] = {
    "start": _start,
    "help": _help,
    "share": _share,
    "browse": _browse,
    "claim": _claim,
    "confirm": _confirm,
    "cancel": _cancel,
    "rate": _rate,
    "rep": _rep,
    "credits": _credits,
}
ACTIONS: dict[str, Callable[[Turn, str], Reply]] = {
    "claim": _claim,
    "confirm": _confirm,
    "cancel": _cancel,
    "rate": _rate,
    "group": _choose_group,
}
