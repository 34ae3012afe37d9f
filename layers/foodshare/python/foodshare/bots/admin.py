"""Running a group from its chat: invites and joining with one.

The first `/start` in a group chat or channel makes that person the group's admin, and a chat user has no API token
(the API refuses their ids as a token's subject): these commands are their `POST /groups/{groupId}/invites` and
`POST /groups/join`. Each calls the domain function its route calls (`groups.invite_by`, `groups.join`), which
decides who may and what holds, and reads what was typed with the route's own request model (`api/requests.py`).

Never where a chat's members read the answers (a Telegram group chat: pointed to the private chat): an invite lets
anyone who has it in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from foodshare import ids
from foodshare.bots import allowance, parsing, store
from foodshare.bots.turns import Button, Reply, Turn
from foodshare.domain import groups, invite_rules
from foodshare.errors import Conflict, Forbidden, NotFound, ValidationFailed
from foodshare.settings import get_settings

IN_PRIVATE = "That is done in our private chat: send /{command} to me there."
NOT_ADMIN = "Only a group admin may do this, and you are not an admin of any of your groups."
NO_GROUP = "You are not in a group yet: /start in your group's chat, or /join <code> with an invite."
INVALID_BUTTON = "That button is no longer valid."


def _in_private(command: str) -> Reply:
    text = IN_PRIVATE.format(command=command)
    return Reply(text, notice=text)


def _group_of(turn: Turn, roles: tuple[str, ...], refusal: str) -> str | dict[str, str]:
    """The group a command is about: a Slack channel's own group (the domain then says whether the person may); else
    the person's one group in which they have one of `roles`, or those groups ({id: name}) to choose from."""
    if turn.chat.is_group:  # a Telegram group chat was pointed to the private chat before
        linked = store.linked_group(turn.chat.key)
        if linked is not None:
            return linked
    allowance.spend(turn.user_id, allowance.MY_GROUPS)
    found, _ = groups.of_member(turn.user_id, groups.PAGE_MAX, None)  # GET /me/groups' read
    if not found:
        raise Conflict(NO_GROUP, code="no_group")
    run = {group.group_id: group.name for group, member in found if member.role in roles}
    if not run:
        raise Forbidden(refusal)
    return next(iter(run)) if len(run) == 1 else run


def _choice(question: str, run: dict[str, str], action: Callable[[str], str]) -> Reply:
    rows = tuple((Button(name[:60], action(group_id)),) for group_id, name in sorted(run.items(), key=lambda i: i[1]))
    return Reply(question, buttons=rows)


def _group_name(group_id: str) -> str:
    return groups.names({group_id}).get(group_id, "the group")


# ---- invites: POST /groups/{groupId}/invites ---------------------------------------------------------------------


def invite(turn: Turn, args: str) -> Reply:
    """`/invite [uses] [hours]`: a new invite to the group the person is an admin of (asked which, of several)."""
    if turn.others_read:
        return _in_private("invite")
    options = parsing.invite_options(args)
    _check_uses(options.max_uses)
    chosen = _group_of(turn, (groups.ADMIN,), NOT_ADMIN)
    if isinstance(chosen, dict):
        return _choice("Which group is the invite for?", chosen,
                       lambda group_id: f"invite:{group_id}:{parsing.typed_invite_options(options)}")
    return _invite(turn, chosen, options)


def invite_chosen(turn: Turn, args: str) -> Reply:
    """The group choice's button, `invite:<groupId>:<options as typed>` (at most 54 bytes of Telegram's 64)."""
    if turn.others_read:
        return _in_private("invite")
    group_id, _, typed = args.partition(":")
    options = parsing.invite_options(typed)
    _check_uses(options.max_uses)
    return replace(_invite(turn, parsing.object_id(group_id, "Group"), options), replaces=True)


def _check_uses(max_uses: int | None) -> None:
    """`maxUses` under `POST /groups/{groupId}/invites`' rule for it (its CreateInviteRequest); the lifetime is
    `groups.invite_by`'s to refuse. pydantic is imported here, on an invite, not at every webhook cold start."""
    from pydantic import ValidationError

    from foodshare.api.requests import CreateInviteRequest

    try:
        CreateInviteRequest.model_validate({"maxUses": max_uses})
    except ValidationError as exc:
        why = f"must be between 1 and {invite_rules.MAX_USES}"
        raise ValidationFailed(f"The number of joins {why} (or leave it out: any number).",
                               fields={"maxUses": why}) from exc


def _invite(turn: Turn, group_id: str, options: parsing.InviteOptions) -> Reply:
    allowance.spend(turn.user_id, allowance.INVITE)
    made, _ = _explained(lambda: groups.invite_by(group_id, turn.user_id, options.max_uses, options.hours))
    uses = f"up to {int(made.max_uses)} joins" if made.max_uses is not None else "any number of joins"
    bot = get_settings().telegram_bot_username
    link = (f"https://t.me/{bot}?start={made.code} (opens a chat with me that joins them)" if bot
            else f"send me /join {made.code}")
    return Reply("\n".join((
        f"Invite to {_group_name(group_id)}: {made.code}",
        (f"For {uses} until {made.expires_at[:10]} {made.expires_at[11:16]} UTC: anyone who has it can join, so "
         "share it with the people you mean."),
        f"Telegram: {link}",
        f"Slack: /food join {made.code}",
        "The Foodshare app takes the code as it is.",
    )), notice="Invite made")


# ---- joining: POST /groups/join ----------------------------------------------------------------------------------


def join(turn: Turn, args: str) -> Reply:
    """`/join <code> [version]` (an invite's Telegram link sends `/start <code>`): joins as `POST /groups/join` does;
    `version` accepts the group's disclaimer of that version."""
    if turn.others_read:
        return _in_private("join <code>")
    words = args.split()
    if not words:
        raise ValidationFailed("Which invite? Send /join <code>: an admin of the group makes one with /invite.",
                               fields={"inviteCode": "required"})
    accepted = parsing.whole_number(words[1]) if len(words) == 2 else None
    if len(words) > 2 or (len(words) == 2 and accepted is None):
        raise ValidationFailed("Write /join <code>, or /join <code> <version> to accept a group's disclaimer.",
                               fields={"inviteCode": "one code"})
    code = _invite_code(words[0])
    allowance.spend(turn.user_id, allowance.JOIN)
    try:
        group, member = groups.join(turn.user_id, code, accepted)
    except ValidationFailed as exc:
        if exc.code != "disclaimer_not_accepted":
            raise
        return _disclaimer(exc.message, code)
    return Reply(f"Welcome to {group.name}, {member.pseudonym}! /browse to see what its members share, /share to "
                 "share yourself.", replaces=True, notice="Joined")


def join_pressed(turn: Turn, args: str) -> Reply:
    """The disclaimer's button, `join:<code>:<version>`."""
    code, _, version = args.rpartition(":")
    return join(turn, f"{code} {version}")


def _invite_code(text: str) -> str:
    """The code as `POST /groups/join` takes it (its JoinGroupRequest; upper case, as its route makes it): one no
    invite can have is not found, without a read and without repeating it."""
    from pydantic import ValidationError

    from foodshare.api.requests import JoinGroupRequest

    code = parsing.object_id(text, "Invite code")
    try:
        return JoinGroupRequest.model_validate({"inviteCode": code}).invite_code.upper()
    except ValidationError as exc:
        raise NotFound("Invite code not found.", code="invite_not_found",
                       fields={"inviteCode": "unknown code"}) from exc


def _disclaimer(refusal: str, code: str) -> Reply:
    """The group's disclaimer (the refusal says it), and how to accept it: a button, or its version typed."""
    named = ids.invite_group(code)
    group = groups.find(named) if named else None
    version = int(group.disclaimer_version) if group is not None and group.disclaimer_version else None
    if version is None:  # a code from before codes named their group
        return Reply(f"{refusal}\nTo accept it and join, send /join {code} <its version>.")
    return Reply(f"{refusal}\nTo accept it and join, press the button or send /join {code} {version}.",
                 buttons=((Button("Accept and join", f"join:{code}:{version}"),),))


def _explained(call):
    """The domain's answer; a refusal naming its fields ("The action is missing what it applies to.") says what
    each field lacks, as the API's body would (`fields`), since a chat shows the message alone."""
    try:
        return call()
    except ValidationFailed as exc:
        missing = [why for why in exc.fields.values() if why not in exc.message]
        if not missing or exc.code != ValidationFailed.code:
            raise
        raise ValidationFailed(f"{exc.message.rstrip('.')}: {'; '.join(missing)}.", fields=exc.fields) from exc
