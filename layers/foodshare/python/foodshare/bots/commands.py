"""The bot's commands and buttons, the same on every platform: the table and what each one does.

Each entry point takes a Turn and returns a Reply. Every change goes through the
domain (the same rules and events as the HTTP API); a DomainError becomes a
friendly answer. Sharing lives in `sharing`, how things read in `rendering`.
"""

from __future__ import annotations

from collections.abc import Callable

from foodshare.bots import admin, allowance, parsing, rendering, sharing, store
from foodshare.bots.rendering import STARS, shown_name
from foodshare.bots.turns import Button, Reply, Turn, answering
from foodshare.domain import (
    credits, discovery, erasure, exchanges, exports, food, groups, partnerships, privacy, privacy_settings, ratings,
    reports, users,
)
from foodshare.errors import Conflict, DomainError, ValidationFailed

BROWSE_LIMIT = 5
LEDGER_LINES = 5

HELP = """Foodshare: share food with your group and partner groups.
/start: join this chat's group (the first /start in a group chat creates it)
/share: share food step by step, or in one line:
  /share Vegetable soup | 3 | 18:00-20:00 | 52.37,4.89 Community hall | #vegan !celery
/browse [#tag] [!allergen] [lat,lng Nkm]: what you can claim
/claim <foodId>, /confirm <exchangeId>, /cancel <exchangeId>
/mine: your open exchanges, with their buttons
/rate <exchangeId> <1-5> [comment]
/rep: your reputation · /credits: your credits
/export: everything Foodshare holds about you, as a download
/privacy: your privacy choices: restrict processing, leave leaderboards, exact or approximate pickup places
/erase: erase your account (I ask you to confirm first)
/join <code>: join a group with an invite code (an invite's link does it for you)
Group admins and moderators, in our private chat:
/invite [uses] [hours]: an invite code and link to your group, e.g. /invite 10 48h
/mod: your group's open reports, with buttons to dismiss, warn, restrict, remove or ban;
  /mod <action> <reportId|handle> [days] [reason] to give your own reason
Others only ever see your pseudonym in their group."""


def on_command(turn: Turn, command: parsing.Command) -> Reply:
    handler = COMMANDS.get(command.name)
    if handler is None:
        return Reply(f"I don't know /{command.name}.\n\n{HELP}")
    return answering(lambda: handler(turn, command.args))


def on_action(turn: Turn, action: str) -> Reply:
    verb, _, rest = action.partition(":")
    handler = ACTIONS.get(verb)
    if handler is None or not rest:
        return Reply("That button is no longer valid.", notice="That button is no longer valid.")
    return answering(lambda: handler(turn, rest))


# ---- membership ------------------------------------------------------------------------


def _start(turn: Turn, args: str) -> Reply:
    user = users.ensure(turn.user_id)
    if not turn.chat.is_group:
        store.remember_private_chat(turn.user_id, turn.chat.platform, turn.chat.address)
        if args:  # an invite's link (t.me/<bot>?start=<code>) opens this chat with `/start <code>`
            return admin.join(turn, args)
        return Reply(f"Hi {user.pseudonym}! I'll tell you here when something concerns you.\n\n{HELP}")
    group_id = store.linked_group(turn.chat.key)
    if group_id is None:
        group_id = store.create_linked_group(turn.chat, turn.user_id)
        if group_id is not None:
            return Reply(
                f"This chat is now a Foodshare group, with {shown_name(turn.user_id, group_id)} as its admin. "
                "Everyone here: send /start to join, then /share food.",
                public=True,
            )
        group_id = store.linked_group(turn.chat.key)
    try:
        groups.add_member(group_id, turn.user_id)
    except Conflict as exc:
        if exc.code != "already_member":
            raise
        return Reply(f"{shown_name(turn.user_id, group_id)}, you are already a member of this group.")
    return Reply(f"Welcome to the group, {shown_name(turn.user_id, group_id)}! /browse to see what's shared.",
                 public=True)


def _help(turn: Turn, _: str) -> Reply:
    return Reply(HELP)


# ---- discovery and exchanges -----------------------------------------------------------


def _browse(turn: Turn, args: str) -> Reply:
    wanted = parsing.browse_filters(args)
    allowance.spend(turn.user_id, allowance.BROWSE)
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
            f"{number}. {rendering.post_text(result.post, exact_place=_exact(result))}\n"
            f"   by {result.sharer.pseudonym} ({result.sharer.trust_level}) in {origin}{distance}"
        )
        buttons.append((Button(f"Claim {number}: {result.post.title[:30]}", f"claim:{result.post.food_id}"),))
    # The list is the person's: posts of all their groups and partner groups (with those groups' names and
    # pseudonyms) and their own posts' exact places; a group chat is seen by members of its group only.
    return Reply("\n\n".join(blocks), buttons=tuple(buttons), personal=turn.chat.is_group)


def _exact(result) -> bool:
    """Browse shows a post's place as discovery does: exact only when the sharer chose so (or it is theirs)."""
    return result.shown is not None and result.shown.precision == privacy.EXACT


OTHER_GROUPS_POST = "That post is shared in another group: claim it in our private chat with me (/browse there)."
OTHER_GROUPS_EXCHANGE = "That exchange is in another group: answer it in our private chat with me (/mine there)."


def _in_this_chat(turn: Turn, group_id: str, refusal: str) -> None:
    """A chat whose members all see the answers (a Telegram group chat) acts on its own group's posts and exchanges
    only: an answer about another group's would show its title and its members' pseudonyms there to people who may
    not belong to it. A private chat, and Slack's answers to the person alone, act on any of the person's."""
    if turn.chat_sees_replies and store.linked_group(turn.chat.key) != group_id:
        raise Conflict(refusal, code="other_group")


def _exchange_in_this_chat(turn: Turn, exchange_id: str) -> None:
    if turn.chat_sees_replies:  # one more read, in group chats only
        _in_this_chat(turn, exchanges.get_for_participant(exchange_id, turn.user_id).group_id, OTHER_GROUPS_EXCHANGE)


def _claim(turn: Turn, food_id: str) -> Reply:
    if not food_id:
        raise ValidationFailed("Which food? /claim <foodId>, or press Claim under a post.", fields={"foodId": "required"})
    food_id = parsing.object_id(food_id, "Food")
    if turn.chat_sees_replies:
        post = food.find(food_id)
        if post is not None:  # none: the claim answers "not found" as anywhere
            try:
                _in_this_chat(turn, post.group_id, OTHER_GROUPS_POST)
            except Conflict:
                food.detail(post, turn.user_id)  # to someone who may not see it (visibility.py): "not found"
                raise
    allowance.spend(turn.user_id, allowance.CLAIMS)
    exchange = exchanges.claim(food_id, turn.user_id)
    post = food.find(exchange.food_id)
    return Reply(
        f"You claimed {post.title} from {shown_name(exchange.sharer_id, post.group_id)}.\n"
        f"Pickup {rendering.window_text(post.pickup_start, post.pickup_end)}.\nConfirm once you have it.",
        buttons=rendering.exchange_buttons(exchange.exchange_id),
        notice="Claimed!",
        private=f"Exact pickup place for {post.title}: {float(post.pickup_lat):.5f},{float(post.pickup_lng):.5f}"
                f"{' (' + post.pickup_label + ')' if post.pickup_label else ''}",
    )


def _other_party(exchange, user_id: str) -> str:
    return shown_name(exchange.claimer_id if user_id == exchange.sharer_id else exchange.sharer_id, exchange.group_id)


def _confirm(turn: Turn, exchange_id: str) -> Reply:
    if not exchange_id:
        raise ValidationFailed("Which exchange? /confirm <exchangeId>.", fields={"exchangeId": "required"})
    exchange_id = parsing.object_id(exchange_id, "Exchange")
    _exchange_in_this_chat(turn, exchange_id)
    exchange = exchanges.confirm(exchange_id, turn.user_id)
    other = _other_party(exchange, turn.user_id)
    if exchange.status == exchanges.COMPLETED:
        return Reply(
            f"Exchange complete, thank you! How was it with {other}?",
            buttons=rendering.rating_buttons(exchange.exchange_id),
            replaces=True,
            notice="Exchange complete",
        )
    return Reply(f"Pickup confirmed. Waiting for {other} to confirm too.", replaces=True, notice="Confirmed")


def _cancel(turn: Turn, exchange_id: str) -> Reply:
    if not exchange_id:
        stopped = sharing.stop(turn)
        if stopped is None:
            raise ValidationFailed("Which exchange? /cancel <exchangeId>.", fields={"exchangeId": "required"})
        return stopped
    exchange_id = parsing.object_id(exchange_id, "Exchange")
    _exchange_in_this_chat(turn, exchange_id)
    exchange = exchanges.cancel(exchange_id, turn.user_id)
    post = food.find(exchange.food_id)
    again = {food.AVAILABLE: "it is available again", food.EXPIRED: "its pickup window is over"}.get(
        post.status, "the post is off the board: its sharer is no longer in the group")  # exchange_rules
    return Reply(f"Exchange cancelled: your credit is released and {again}.", replaces=True, notice="Cancelled")


def _rate(turn: Turn, args: str) -> Reply:
    wanted = parsing.rating(args)
    exchange_id = parsing.object_id(wanted.exchange_id, "Exchange")
    comment = _comment(wanted.stars, wanted.comment)
    _exchange_in_this_chat(turn, exchange_id)
    rating = ratings.rate(exchange_id, turn.user_id, wanted.stars, comment)
    rated = shown_name(rating.rated_user_id, exchanges.get_for_participant(exchange_id, turn.user_id).group_id)
    given = f"You rated {rated} {STARS[:wanted.stars]}."
    if turn.chat_sees_replies:  # one person's verdict on another: the toast only the rater sees holds the stars
        return Reply(f"Thanks! You rated {rated}.", replaces=True, notice=given)
    return Reply(f"Thanks! {given}", replaces=True, notice="Thanks for rating")


def _comment(stars: int, comment: str | None) -> str | None:
    """The comment as `POST /exchanges/{id}/ratings` takes it (its RatingRequest: at most 500 characters, no control
    character but line breaks and tabs, none when nothing of it is visible), or ValidationFailed saying why.

    pydantic is imported here, on the first rating, not at every webhook cold start."""
    from pydantic import ValidationError

    from foodshare.api.requests import RatingRequest

    try:
        return RatingRequest.model_validate({"stars": stars, "comment": comment}).comment
    except ValidationError as exc:
        error = exc.errors()[0]
        why = (f"must be at most {error['ctx']['max_length']} characters" if error["type"] == "string_too_long"
               else str(error["msg"]).removeprefix("Value error, "))
        raise ValidationFailed(f"The comment {why}.", fields={"comment": why}) from exc


MINE = 5  # open exchanges `/mine` lists, each with its buttons
MINE_PAGES = 3  # pages of the person's exchanges read to find them (the newest may be closed ones)


def _mine(turn: Turn, _: str) -> Reply:
    """The person's open exchanges, as claimer and as sharer, each with Confirm and Cancel: the way back to one whose
    message is gone (Slack's replies are ephemeral; a chat scrolls away) without knowing its id."""
    allowance.spend(turn.user_id, allowance.MINE)
    found, after = [], None
    for _page in range(MINE_PAGES):
        page, after = exchanges.of_participant(turn.user_id, exchanges.PAGE_MAX, after, "active")
        found += page
        if len(found) >= MINE or after is None:
            break
    if not found:
        return Reply("You have no open exchanges.", personal=turn.chat.is_group)
    blocks, buttons = [], []
    for number, item in enumerate(found[:MINE], 1):
        exchange = item.exchange
        claimed = exchange.claimer_id == turn.user_id
        other = shown_name(exchange.sharer_id if claimed else exchange.claimer_id, exchange.group_id)
        title = item.post.title if item.post is not None else "a post"
        confirmed = exchange.claimer_confirmed if claimed else exchange.sharer_confirmed
        blocks.append(f"{number}. {title}: " + (f"you claimed it from {other}" if claimed else f"{other} claimed it")
                      + f"\n   pickup {rendering.window_text(exchange.pickup_start, exchange.pickup_end)}"
                      + (" · you confirmed" if confirmed else ""))
        buttons.append((Button(f"Confirm {number}", f"confirm:{exchange.exchange_id}"),
                        Button(f"Cancel {number}", f"cancel:{exchange.exchange_id}")))
    more = "\n\n(the newest five; confirm or cancel these to see more)" if len(found) > MINE else ""
    # Titles and who in which group: the person's own, like /browse, so a group chat does not see them
    return Reply("Your open exchanges:\n\n" + "\n\n".join(blocks) + more, buttons=tuple(buttons),
                 personal=turn.chat.is_group)


def _rep(turn: Turn, _: str) -> Reply:
    allowance.spend(turn.user_id, allowance.REPUTATION)  # the owner's view of GET /users/{userId}/reputation
    user = users.ensure(turn.user_id)
    ratings_received = int(user.ratings_received)
    average = f"{float(user.rating_stars_total) / ratings_received:.1f}★ from {ratings_received}" if ratings_received else "no ratings yet"
    return Reply(
        f"{user.pseudonym}: reputation {float(user.score):g} ({user.trust_level})\n"
        f"shared {int(user.shared_count)} · completed {int(user.completed_count)} · "
        f"cancelled {int(user.cancelled_count)} · no-shows {int(user.no_show_count)} · {average}",
        personal=turn.chat.is_group,  # the account's pseudonym and exact figures: the same in every group
    )


def _credits(turn: Turn, _: str) -> Reply:
    allowance.spend(turn.user_id, allowance.CREDITS)
    page = credits.statement(turn.user_id, LEDGER_LINES, None)
    user = page.user
    lines = [f"Credits: {int(user.credit_balance)} (held for claims: {int(user.credits_held)})"]
    lines += [f"{int(line.entry.amount):+d} {line.entry.reason.replace('_', ' ')} → {line.balance_after}  "
              f"{line.entry.created_at[:10]}" for line in page.lines]
    return Reply("\n".join(lines), personal=turn.chat.is_group)


def _export(turn: Turn, export_id: str) -> Reply:
    """/export asks for an export of everything stored about the person; /export <id> gives its link."""
    if turn.others_read:
        return Reply("An export is for your eyes only: send /export to me in a private chat.")
    if not export_id.strip():
        allowance.spend(turn.user_id, allowance.EXPORT)
        item = exports.request(turn.user_id)
        return Reply(f"I'm preparing an export of everything Foodshare holds about you ({item.export_id}). "
                     f"Send /export {item.export_id} in a minute for the download link.")
    export_id = parsing.object_id(export_id, "Export")
    allowance.spend(turn.user_id, allowance.EXPORT_LINK)
    item, status, url, _ = exports.status(turn.user_id, export_id)
    if url is None:
        return Reply(f"Your export {item.export_id} is {status}."
                     + (" Try again in a minute." if status == exports.PENDING else ""))
    return Reply(f"Your export (JSON), for the next {exports.URL_SECONDS // 60} minutes: {url}\n"
                 f"It is deleted on {item.expires_at[:10]}.")


# ---- erasure: what DELETE /me does, for people who only use the bots ----------------------

ERASE_IN_PRIVATE = "Ask me in our private chat: send /erase to me there."
ERASE_EXPLAINED = """Erasing your Foodshare account cannot be undone. Here is what happens:
• At once, your account is frozen: you can no longer share, claim or rate, and you leave discovery, leaderboards and notifications.
• Within seconds, your open exchanges are cancelled (held credits released), your available posts withdrawn and you leave your groups (a group you are the last admin of goes to its longest-standing member).
• Within minutes, your pseudonyms, places, posts' words, comments, chat links and conversations with me are deleted. Exchanges, ratings' stars and credit movements others need stay under an anonymous id that names nobody.
Want a copy first? /export, then erase.
To confirm, press the button or send /erase {code} within 3 hours (until {until} UTC)."""
ERASING = ("Your account is being erased: it is frozen now, wound down within seconds and erased within minutes. "
           "I keep nothing that names you. If you write to me again after that, you start afresh as a new member.")
# The domain's refusals name the API's routes; here they name the command.
_ERASE_REFUSALS = {
    "erasure_not_requested": "Send /erase first: I'll explain what happens and give you a confirmation code.",
    "erasure_code_expired": "That confirmation code has expired: send /erase for a new one.",
    "validation_error": "That is not the confirmation code I gave you: press the button, or send /erase for a new one.",
    "account_erased": "Your account is already being erased.",
}


def _erase(turn: Turn, code: str) -> Reply:
    """/erase explains what erasing the account does and gives the confirmation code (`POST /me/erasure`'s: 3 hours),
    with a button carrying it; `/erase <code>` or the button starts the erasure as `DELETE /me` does: the account is
    frozen at once, the cache stops serving it, the erasure consumer winds it down and sweeps it (docs/privacy.md).
    Starting it again with the same code (a redelivered update, a second press) answers the erasure under way.
    Never in a chat others read; asked by someone with no account, it registers none."""
    if turn.others_read:
        return Reply(ERASE_IN_PRIVATE, notice=ERASE_IN_PRIVATE)
    try:
        if not code.strip():
            allowance.spend(turn.user_id, allowance.ERASURE_CODE)
            issued, expires_at = erasure.request(turn.user_id)
            return Reply(ERASE_EXPLAINED.format(code=issued, until=f"{expires_at[:10]} {expires_at[11:16]}"),
                         buttons=((Button("Erase my account", f"erase:{issued}"),),))
        code = parsing.object_id(code, "Confirmation code")
        allowance.spend(turn.user_id, allowance.ERASURE)
        _start_erasure(turn.user_id, code)
    except DomainError as exc:
        if exc.code not in _ERASE_REFUSALS:
            raise
        message = _ERASE_REFUSALS[exc.code]
        return Reply(f"⚠️ {message}", notice=message)
    return Reply(ERASING, replaces=True, notice="Your account is being erased")


def _start_erasure(user_id: str, code: str) -> None:
    """As `DELETE /me` (functions/users): check the code, freeze the account and queue its wind-down and sweep, then
    make nothing cached about them or their groups servable. The cache is imported here, on an erasure only."""
    from foodshare.cache import group_reads, purge

    progress = erasure.start(user_id, code, group_reads.member_groups)
    purge.forget(progress.markers or (), progress.group_ids or ())


# ---- privacy choices: what GET and PUT /me/privacy do, for people who only use the bots -----------

PRIVACY_IN_PRIVATE = "Ask me in our private chat: send /privacy to me there."
# `/privacy <choice> <value>` and the buttons' `privacy:<choice>:<value>`: PUT /me/privacy's field and its values
PRIVACY_CHOICES = {
    "restricted": ("restricted", {"on": True, "off": False}),
    "leaderboard": ("leaderboard", {"on": True, "off": False}),
    "places": ("location_precision", {privacy.EXACT: privacy.EXACT, privacy.AREA: privacy.AREA}),
}
PRIVACY_TYPED = "restricted on|off, leaderboard on|off, places exact|area"


def _privacy(turn: Turn, choice: str) -> Reply:
    """/privacy shows the person's choices (`GET /me/privacy`) with a button to change each; the button, or
    `/privacy <choice> <value>`, makes that one choice through `privacy_settings.update` as `PUT /me/privacy` does
    (a choice already made writes nothing: a second press or a redelivery changes and records nothing more).
    Never in a chat others read: the choices, a restriction above all, are the person's alone."""
    if turn.others_read:
        return Reply(PRIVACY_IN_PRIVATE, notice=PRIVACY_IN_PRIVATE)
    if not choice.strip():
        allowance.spend(turn.user_id, allowance.PRIVACY)
        return _privacy_reply(privacy_settings.get(turn.user_id))
    field, value = _privacy_choice(choice)
    allowance.spend(turn.user_id, allowance.PRIVACY_CHANGE)
    from foodshare.cache import group_reads  # the caller's groups from the cache when warm, as PUT /me/privacy

    changes = {"restricted": None, "leaderboard": None, "location_precision": None} | {field: value}
    chosen = privacy_settings.update(turn.user_id, **changes, group_ids_of=group_reads.member_groups)
    return _privacy_reply(chosen, replaces=True, notice="Your privacy choices are saved")


def _privacy_choice(text: str) -> tuple[str, object]:
    """`restricted on` as typed, or a button's `restricted:on`: PUT /me/privacy's field and value."""
    words = text.replace(":", " ").lower().split()
    known = PRIVACY_CHOICES.get(words[0]) if len(words) == 2 else None
    if known is None or words[1] not in known[1]:
        raise ValidationFailed(f"Choose one of: /privacy {PRIVACY_TYPED}.", fields={"privacy": PRIVACY_TYPED})
    field, values = known
    return field, values[words[1]]


def _privacy_reply(chosen: privacy_settings.PrivacySettings, replaces: bool = False,
                   notice: str | None = None) -> Reply:
    """The choices as they stand, each with the button that makes the other one (a value, never a toggle: an old
    message's button pressed again asks for what it says)."""
    exact = chosen.location_precision == privacy.EXACT
    text = "\n".join((
        "Your privacy choices:",
        "• Processing: " + ("Restricted. Your posts and profile are hidden from others, you are on no leaderboard, "
                            "you get no notifications, and nobody claims from you or you from others until you "
                            "lift it." if chosen.restricted else "not restricted."),
        "• Leaderboards: " + ("you are shown on your groups' leaderboards." if chosen.leaderboard
                              else "left out of every leaderboard (your objection)."),
        "• Pickup places: " + ("everyone who can see your post sees its exact place." if exact
                               else "others see an area of about 2 km; whoever claims your post learns the exact "
                                    "place."),
        f"Press a button to change one, or send /privacy <choice> ({PRIVACY_TYPED}).",
    ))
    buttons = (
        (Button("Lift the restriction", "privacy:restricted:off") if chosen.restricted
         else Button("Restrict processing", "privacy:restricted:on"),),
        (Button("Leave the leaderboards", "privacy:leaderboard:off") if chosen.leaderboard
         else Button("Show me on leaderboards", "privacy:leaderboard:on"),),
        (Button("Show others an area only", "privacy:places:area") if exact
         else Button("Show my exact pickup places", "privacy:places:exact"),),
    )
    return Reply(text, buttons=buttons, replaces=replaces, notice=notice)


# ---- reports: a post or an exchange, from its buttons ------------------------------------

REPORTED = {"food": "this post", "exchange": "this exchange"}


def _report(turn: Turn, args: str) -> Reply:
    """`report:<food|exchange>:<id>` asks why; `…:<reason>` files the report as the person pressing
    (domain/reports.py: what they can see, one open report per subject). Every answer is for the
    reporter alone: a group chat never learns that someone reported."""
    try:
        return _report_step(turn, args)
    except DomainError as exc:
        return Reply(f"⚠️ {exc.message}", notice=exc.message, personal=True)


def _report_step(turn: Turn, args: str) -> Reply:
    subject_type, _, rest = args.partition(":")
    subject_id, _, reason = rest.partition(":")
    if subject_type not in REPORTED or not subject_id or (reason and reason not in reports.REASONS):
        raise ValidationFailed("That button is no longer valid.", fields={"report": "unknown subject or reason"})
    subject_id = parsing.object_id(subject_id, REPORTED[subject_type].removeprefix("this ").capitalize())
    if not reason:
        return Reply(f"Why are you reporting {REPORTED[subject_type]}? Its group's moderators see your report; "
                     "the member is not told who reported.",
                     buttons=rendering.reason_buttons(subject_type, subject_id), personal=True, notice="Report")
    allowance.spend(turn.user_id, allowance.REPORTS)  # one bucket with POST /reports
    reports.file(turn.user_id, subject_type, subject_id, reason, None)
    label = rendering.REASON_LABELS[reason].lower()
    return Reply(f"Thank you: your report about {REPORTED[subject_type]} ({label}) went to its group's moderators.",
                 replaces=True, personal=True, notice="Reported")


# ---- partnerships: a proposal's Accept and Decline, as the invited group's admins' API routes ---------------------

PARTNERSHIP_IN_PRIVATE = "Answer partnership proposals in our private chat with me."


def _accept(turn: Turn, reference: str) -> Reply:
    return _answer_proposal(turn, reference, accept=True)


def _decline(turn: Turn, reference: str) -> Reply:
    return _answer_proposal(turn, reference, accept=False)


def _answer_proposal(turn: Turn, reference: str, accept: bool) -> Reply:
    """A proposal notice's button (`accept:` / `decline:` + `partnerships.reference`), pressed by an admin of the
    invited group: `partnerships.accept` / `decline`, as `POST /partnerships/{id}/accept` / `decline` (the same rules,
    event and cache bumps; their allowance). Anyone else is refused: not found among their groups (the proposer's own
    side), or as the API refuses them. Pressed again, or on a proposal withdrawn meanwhile, it says what the
    partnership is now. The notices go to private chats only: in a group chat (a forwarded or forged button) nothing
    is done or said about the proposal."""
    if turn.chat_sees_replies:
        return Reply(PARTNERSHIP_IN_PRIVATE, notice=PARTNERSHIP_IN_PRIVATE)
    partnership_id = partnerships.received(parsing.object_id(reference, "Partnership"), turn.user_id)
    allowance.spend(turn.user_id, allowance.PARTNERSHIP_ACCEPT if accept else allowance.PARTNERSHIP_DECLINE)
    item = (partnerships.accept if accept else partnerships.decline)(partnership_id, turn.user_id)
    _, names = partnerships.with_names(item.partnership_id, (item.from_group_id, item.to_group_id))
    proposer, yours = names.get(item.from_group_id, "the other group"), names.get(item.to_group_id, "your group")
    if accept:
        return Reply(f"You accepted the partnership proposal of {proposer} for your group {yours}: members of each "
                     "group can now claim the other's posts on its terms.", replaces=True, notice="Accepted")
    return Reply(f"You declined the partnership proposal of {proposer} for your group {yours}.", replaces=True,
                 notice="Declined")


COMMANDS: dict[str, Callable[[Turn, str], Reply]] = {
    "start": _start,
    "help": _help,
    "share": sharing.share,
    "browse": _browse,
    "claim": _claim,
    "confirm": _confirm,
    "cancel": _cancel,
    "rate": _rate,
    "mine": _mine,
    "rep": _rep,
    "credits": _credits,
    "export": _export,
    "erase": _erase,
    "privacy": _privacy,
    "invite": admin.invite,
    "join": admin.join,
    "mod": admin.mod,
}
ACTIONS: dict[str, Callable[[Turn, str], Reply]] = {
    "claim": _claim,
    "confirm": _confirm,
    "cancel": _cancel,
    "rate": _rate,
    "group": sharing.choose_group,
    "report": _report,
    "erase": _erase,
    "privacy": _privacy,
    "invite": admin.invite_chosen,
    "join": admin.join_pressed,
    "mod": admin.act_pressed,
    "modq": admin.queue_pressed,
    "accept": _accept,
    "decline": _decline,
}
