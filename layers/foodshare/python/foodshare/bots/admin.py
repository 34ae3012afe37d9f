"""Running a group from its chat: invites, joining with one, the moderation queue and its actions.

The first `/start` in a group chat or channel makes that person the group's admin, and a chat user has no API token
(the API refuses their ids as a token's subject): these commands are their `POST /groups/{groupId}/invites`,
`POST /groups/join`, `GET /groups/{groupId}/moderation` and `POST /groups/{groupId}/moderation/actions`. Each calls the
domain function its route calls (`groups.invite_by`, `groups.join`, `moderation.queue`, `moderation.act`), which
decides who may and what holds, and reads what was typed with the route's own request model (`api/requests.py`).

Never where a chat's members read the answers (a Telegram group chat: pointed to the private chat): an invite lets
anyone who has it in, and the queue names members and what was reported about them. Nor is a report's reporter ever
shown, neither who they are nor their record of upheld and dismissed reports (which a flag about their unfounded
reports would match), nor is such a flag.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from foodshare import ids
from foodshare.bots import allowance, parsing, rendering, store
from foodshare.bots.rendering import shown_name
from foodshare.bots.turns import Button, Reply, Turn
from foodshare.domain import groups, identities, invite_rules, moderation, privacy, reports
from foodshare.domain import moderation_rules as rules
from foodshare.errors import Conflict, Forbidden, NotFound, ValidationFailed
from foodshare.settings import get_settings

IN_PRIVATE = "That is done in our private chat: send /{command} to me there."
NOT_ADMIN = "Only a group admin may do this, and you are not an admin of any of your groups."
NOT_MODERATOR = "Only the group's admins and moderators may do this, and you are neither in any of your groups."
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


# ---- the moderation queue: GET /groups/{groupId}/moderation ------------------------------------------------------

QUEUE_SHOWN = 5  # reports a reply lists, each with its buttons
QUEUE_PAGES = 3  # pages of the queue read to find them (open appeals and flags come first)
REPORTERS_FLAG = "unfounded_reports"  # a flag about a reporter: it would say who reported


def mod(turn: Turn, args: str) -> Reply:
    """`/mod`: the group's open reports with a button for each action; `/mod <action> <target> [days] [reason]`."""
    if turn.others_read:
        return _in_private("mod")
    if args.strip():
        return _typed(turn, parsing.moderation_command(args))
    chosen = _group_of(turn, rules.MODERATING_ROLES, NOT_MODERATOR)
    if isinstance(chosen, dict):
        return _choice("Which group's reports?", chosen, lambda group_id: f"modq:{group_id}")
    return _queue(turn, chosen)


def queue_pressed(turn: Turn, group_id: str) -> Reply:
    """`modq:<groupId>`: the group's queue (the group choice, "Back to the reports")."""
    if turn.others_read:
        return _in_private("mod")
    return replace(_queue(turn, parsing.object_id(group_id, "Group")), replaces=True)


def _queue(turn: Turn, group_id: str) -> Reply:
    allowance.spend(turn.user_id, allowance.MODERATION)
    found, flags, appeals, shown, after = [], [], 0, {}, None
    for _page in range(QUEUE_PAGES):
        page = moderation.queue(group_id, turn.user_id, rules.QUEUE_PAGE_MAX, after)  # the moderator check first
        found += page.reports
        flags += [flag for flag in page.flags if flag.kind != REPORTERS_FLAG]
        appeals += len(page.appeals)
        shown |= page.shown
        after = page.next_after
        if len(found) > QUEUE_SHOWN or after is None:
            break
    name = _group_name(group_id)
    blocks = [f"Open reports in {name}:" if found else f"No open reports in {name}."]
    rows: list[tuple[Button, ...]] = []
    for number, entry in enumerate(found[:QUEUE_SHOWN], 1):
        blocks.append(_report_text(number, entry, shown[entry.report.subject_user_id], turn.user_id))
        if entry.report.subject_user_id != turn.user_id:  # a report about oneself is for another to decide
            rows += rendering.moderation_buttons(group_id, number, entry.report.report_id,
                                                 post=entry.report.subject_type == "food")
    for flag in flags[:QUEUE_SHOWN]:
        who = shown[flag.user_id]
        blocks.append(f"⚑ {who.pseudonym} ({who.handle}) is flagged: {flag.explanation}")
    if appeals:
        blocks.append(f"{appeals} open appeal{'s' if appeals > 1 else ''}: appeals are not decided in the chat yet.")
    if len(found) > QUEUE_SHOWN or after is not None:
        blocks.append("More are waiting: act on these, then /mod again.")
    if found or flags:
        blocks.append("A button gives the member the report's reason as the reason. Your own reason, or a flagged "
                      f"member: {parsing.MODERATION_TYPED}")
    return Reply("\n\n".join(blocks), buttons=tuple(rows))


def _report_text(number: int, entry: moderation.QueueEntry, member: identities.Identity, viewer_id: str) -> str:
    """One report as its group's moderators read it: what about whom, the member's standing in bands, never who
    reported (nor their record)."""
    report = entry.report
    whom = {"food": f"a post shared by {member.pseudonym}", "exchange": f"{member.pseudonym}, in an exchange"}.get(
        report.subject_type, member.pseudonym)
    label = rendering.REASON_LABELS.get(report.reason, report.reason)
    lines = [(f"{number}. {label}: {whom} ({member.handle}), reported {report.created_at[:10]} "
              f"(report {report.report_id})")]
    if report.details:
        lines.append(f"   “{report.details}”")
    evidence = rendering.member_evidence(entry.subject, entry.open_reports_about_subject)
    lines.append("   It is about you: another admin or moderator decides it." if report.subject_user_id == viewer_id
                 else f"   {member.pseudonym}: {evidence}")
    return "\n".join(lines)


# ---- moderation actions: POST /groups/{groupId}/moderation/actions -----------------------------------------------


def act_pressed(turn: Turn, args: str) -> Reply:
    """`mod:<groupId>:<reportId>:<code>` (`rendering.MODERATION_CODES`): the action on the report; a removal or ban
    (`x`, `b`) asks first, and its confirmation (`X`, `B`) acts."""
    if turn.others_read:
        return _in_private("mod")
    group_id, _, rest = args.partition(":")
    report_id, _, code = rest.partition(":")
    action = rendering.MODERATION_CODES.get(code) or rendering.CONFIRMED.get(code)
    if not group_id or not report_id or action is None:
        raise ValidationFailed(INVALID_BUTTON, fields={"mod": "not group:report:action"})
    group_id, report_id = parsing.object_id(group_id, "Group"), parsing.object_id(report_id, "Report")
    if code in ("x", "b"):
        return _ask(turn, group_id, report_id, code.upper())
    days = rendering.RESTRICT_DAYS if action == rules.RESTRICT else None
    return replace(_act(turn, group_id, report_id, action, days, None), replaces=True)


def _ask(turn: Turn, group_id: str, report_id: str, code: str) -> Reply:
    """Whom a removal or ban from the queue would remove, asked before it is done (it cannot be undone but by
    an appeal, or an invite back)."""
    allowance.spend(turn.user_id, allowance.MODERATION)
    moderation.checked_moderator(group_id, groups.membership(group_id, turn.user_id))  # before anything is shown
    report = _report_in(group_id, report_id)
    name, group = shown_name(report.subject_user_id, group_id), _group_name(group_id)
    if rendering.CONFIRMED[code] == rules.BAN:
        verb, question = "Ban", (f"Ban {name} from {group}? They leave the group, their open posts and exchanges there "
                                 "end, and they cannot join again, by invite or in the chat.")
    else:
        verb, question = "Remove", (f"Remove {name} from {group}? They leave the group and their open posts and "
                                    "exchanges there end; they may be invited again.")
    return Reply(f"{question}\nThey are told privately, with the reason: {_reason(report, rendering.CONFIRMED[code])}.",
                 buttons=((Button(f"{verb} {name}", f"mod:{group_id}:{report_id}:{code}"),
                           Button("Not now", f"modq:{group_id}")),),
                 replaces=True, notice=f"{verb} {name}?")


def _typed(turn: Turn, command: parsing.ModerationCommand) -> Reply:
    chosen = _group_of(turn, rules.MODERATING_ROLES, NOT_MODERATOR)
    if isinstance(chosen, dict):
        chosen = _group_named_by(command.target, chosen)
    return _act(turn, chosen, command.target, command.action, command.days, command.reason)


def _group_named_by(target: str, run: dict[str, str]) -> str:
    """Of the several groups the person moderates, the one a typed report id, handle or post id belongs to."""
    target = parsing.object_id(target, "Report")
    if privacy.looks_like_handle(target):
        found = identities.indexed(target)
        named = [found.group_id] if found is not None else []
    elif ids.food_group(target):
        named = [ids.food_group(target)]
    else:
        named = reports.get(target).group_ids
    mine = [group_id for group_id in named if group_id in run]
    if len(mine) != 1:
        raise ValidationFailed("You moderate several groups, and that names none of them (or more than one): use the "
                               "buttons under /mod.", fields={"target": "not in one of your groups"})
    return mine[0]


_TARGETS = {"memberHandle": "Member", "foodId": "Food", "reportId": "Report"}


def _act(turn: Turn, group_id: str, target: str, action: str, days: int | None, reason: str | None) -> Reply:
    """The action as `POST /groups/{groupId}/moderation/actions` takes it, on a report, a member's handle or a post;
    the reason is the report's when none is given (the member is told it)."""
    moderation.checked_moderator(group_id, groups.membership(group_id, turn.user_id))  # before anything is read
    field = ("memberHandle" if privacy.looks_like_handle(target) else "foodId" if ids.food_group(target)
             else "reportId")
    target = parsing.object_id(target, _TARGETS[field])
    report, concerned, indexed = None, None, None
    if field == "reportId":
        report = _report_in(group_id, target)
        reason, concerned = reason or _reason(report, action), report.subject_user_id
    elif field == "memberHandle":
        indexed = identities.indexed(target)
        concerned = identities.named_in(target, group_id, turn.user_id, indexed)
    if reason is None:
        raise ValidationFailed(f"Say why (the member is told): {parsing.MODERATION_TYPED}.",
                               fields={"reason": "required without a report"})
    request = _request({"action": action, "reason": reason, field: target, "days": days})
    # Whom it concerns as the group knows them, named in the answer (read before: a removal frees the pseudonym).
    # A dismissal concerns the reporter, who is never named.
    name = "The member"
    if concerned and action != rules.DISMISS:
        kept = indexed.pseudonym if field == "memberHandle" and indexed and indexed.user_id == concerned else None
        name = kept or shown_name(concerned, group_id)  # the index keeps the name they joined with
    allowance.spend(turn.user_id, allowance.MODERATE)
    item = _explained(lambda: moderation.act(group_id, turn.user_id, moderation.ActionRequest(
        request.action, request.reason, request.report_id, request.member_handle, request.food_id, request.days)))
    return Reply(_done(item, name, _group_name(group_id)),
                 buttons=((Button("Back to the reports", f"modq:{group_id}"),),), notice="Done")


def _report_in(group_id: str, report_id: str):
    """The report, if it went to this group's moderators (else not found, as the action would answer)."""
    report = reports.get(report_id)
    if group_id not in report.group_ids:
        raise NotFound(f"Report {report_id} not found.", fields={"reportId": "names no report to this group"})
    return report


def _reason(report, action: str) -> str:
    """What a button's action tells the member (a dismissal: the reporter) as its reason."""
    if action == rules.DISMISS:
        return "the moderators found nothing in it to act on"
    return f"a report about you ({rendering.REASON_LABELS.get(report.reason, report.reason).lower()}) was upheld"


def _done(item, name: str, group: str) -> str:
    until = (item.until or "")[:10]
    said = {
        rules.DISMISS: "Report dismissed. Its reporter is told, with the reason",
        rules.WARN: f"{name} is warned. They are told privately, with the reason",
        rules.REMOVE_POST: f"The post is removed from {group}: nobody but its sharer sees it now. They are told "
                           "privately, with the reason",
        rules.RESTRICT: f"{name} may not post or claim in {group} until {until}. They are told privately, with the "
                        "reason",
        rules.REMOVE_MEMBER: f"{name} is removed from {group}; their open posts and exchanges there end. They are told "
                             "privately, with the reason",
        rules.BAN: f"{name} is banned from {group}: they cannot join again, and their open posts and exchanges there "
                   "end. They are told privately, with the reason",
    }[item.action]
    chat = (" Removing them from the group's chat itself, if they are in it, is for the chat's own admins." if
            item.action in (rules.REMOVE_MEMBER, rules.BAN) else "")
    return f"{said}: {item.reason}.{chat}"


_FIELD_WORDS = {"reason": "reason", "days": "number of days", "action": "action"}


def _request(body: dict):
    """The action under `POST /groups/{groupId}/moderation/actions`' rules for its fields (ModerationActionRequest),
    or what is wrong, in words: an id no item can have is not found."""
    from pydantic import ValidationError

    from foodshare.api.requests import ModerationActionRequest

    try:
        return ModerationActionRequest.model_validate({k: v for k, v in body.items() if v is not None})
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "action"
        if field in _TARGETS:
            raise NotFound(f"{_TARGETS[field]} not found.") from exc
        ctx = error.get("ctx") or {}
        why = {"string_too_short": f"must be at least {ctx.get('min_length')} characters",
               "string_too_long": f"must be at most {ctx.get('max_length')} characters",
               "greater_than_equal": f"must be at least {ctx.get('ge')}",
               "less_than_equal": f"must be at most {ctx.get('le')}"}.get(
            error["type"], str(error["msg"]).removeprefix("Value error, "))
        raise ValidationFailed(f"The {_FIELD_WORDS.get(field, field)} {why}.", fields={field: why}) from exc


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
