"""Group moderation: moderators, the moderation queue, actions on reports and members, appeals.

A group's admins and moderators moderate that group only: every action names the
group, and its report, post or member must belong to it (else "not found"). Each
action is one transaction: the action record (kept under the member it concerns,
who may appeal it once), its consequence (report decided, post removed, restriction,
membership removed, ban) and a `ModerationActionTaken` event, which the reputation
consumer turns into a penalty when an upheld report's reason carries one, and the
notifications consumer tells the member. Appeals are decided by another admin; an
overturned action is undone where it can be (restriction and ban lifted, penalty
reversed by the reputation consumer, a dismissed report back in the queue).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from pynamodb.expressions.condition import Condition

from foodshare import clock, ids
from foodshare.data import reads
from foodshare.data.models import (
    AppealItem,
    BanItem,
    FlagItem,
    FoodItem,
    GroupItem,
    MembershipItem,
    ModerationActionItem,
    OpenAppealItem,
    OpenReportItem,
    ReporterRecordItem,
    ReportItem,
    RestrictionItem,
    UserItem,
)
from foodshare.data.transaction import UnitOfWork, with_retries
from foodshare.domain import food as food_posts
from foodshare.domain import groups, identities, reports, users, visibility
from foodshare.domain import moderation_rules as rules
from foodshare.errors import ConcurrentUpdate, Conflict, DomainError, Forbidden, NotFound, ValidationFailed

REMOVED = visibility.REMOVED  # a post's status after a moderator removed it: only its sharer sees it


class _Unconfirmed(DomainError):
    """A transaction refused what a write took for granted of items it did not read: read them, decide again
    (never answered: the write's answer is the one that decision gives)."""

    def __init__(self) -> None:
        super().__init__("not as the write took for granted")


def checked_moderator(group_id: str, member: MembershipItem | None) -> MembershipItem:
    """The caller's membership (read by the caller) if they moderate the group: else 404 (not in it) or 403."""
    member = groups.checked_member(group_id, member)
    if member.role not in rules.MODERATING_ROLES:
        raise Forbidden("Only the group's admins and moderators may do this.")
    return member


def _membership_key(group_id: str, user_id: str) -> tuple[type[MembershipItem], tuple[str, str]]:
    return MembershipItem, MembershipItem.key(group_id, user_id)


# ---- moderators ------------------------------------------------------------------------------


def appoint_moderator(group_id: str, admin_id: str, member_handle: str) -> MembershipItem:
    """Make the member the admin was shown as `member_handle` a moderator (`_appoint_moderator`); read again when the
    admin's membership changed meanwhile."""
    return with_retries(lambda: _appoint_moderator(group_id, admin_id, member_handle))


def _appoint_moderator(group_id: str, admin_id: str, member_handle: str) -> MembershipItem:
    """Make the member the admin was shown as `member_handle` a moderator.

    Two calls when the handle's index item carries the member's pseudonym (recorded at join): the admin's
    membership with the index item (the admin check first: a handle is no probe for outsiders), then the
    transaction, which checks what the answer takes for granted (still a member, with that pseudonym, and an
    exemplary profile). Otherwise, or when the transaction refuses, the member's membership and profile are read
    (their keys come from the index item) and decide as before, with its answers."""
    admin, *index = reads.get_many([_membership_key(group_id, admin_id), *identities.index_keys(member_handle)])
    groups.checked_admin(group_id, admin)
    found = index[0] if index else None
    member_id = identities.named_in(member_handle, group_id, admin_id, found)
    if member_id is None:
        raise identities.not_found("memberHandle")
    if found is not None and found.user_id == member_id and found.pseudonym is not None:
        try:
            return _appoint(admin, MembershipItem(*MembershipItem.key(group_id, member_id), group_id=group_id,
                                                  user_id=member_id, role=rules.MEMBER,
                                                  pseudonym=found.pseudonym), unread=True)
        except _Unconfirmed:
            pass
    member, profile = reads.get_many([_membership_key(group_id, member_id), (UserItem, UserItem.key(member_id))])
    if member is None:
        raise identities.not_found("memberHandle")
    if member.role != rules.MEMBER:
        raise Conflict(f"This member is already {member.role}.", code="already_moderating")
    if profile is None:  # as a handle naming nobody: the admin knows the member by handle, never by id
        raise identities.not_found("memberHandle")
    if not rules.may_grant_moderator(profile.trust_level):
        raise Conflict("Only exemplary members may be made moderators.", code="not_exemplary")
    return _appoint(admin, member, unread=False)


def _appoint(admin: MembershipItem, member: MembershipItem, *, unread: bool) -> MembershipItem:
    """The appointment's transaction, holding only while the `admin`'s membership is as read (one who left meanwhile
    does not appoint: `ConcurrentUpdate`, read again); `unread`: the member's membership and profile were not read,
    so it checks that the membership is as `member` shows it and that the profile may be granted
    (`rules.may_grant_moderator`)."""
    admin_id = admin.user_id
    uow = UnitOfWork()
    users.keep_acting(uow, admin_id)
    uow.check(MembershipItem, MembershipItem.key(admin.group_id, admin_id), groups.as_read(admin),
              on_fail=ConcurrentUpdate("Your membership changed meanwhile."))
    condition = MembershipItem.role == rules.MEMBER
    on_fail: DomainError = Conflict("The membership changed meanwhile.", code="invalid_state")
    if unread:
        condition &= MembershipItem.pseudonym == member.pseudonym
        on_fail = _Unconfirmed()
        uow.check(UserItem, UserItem.key(member.user_id), UserItem.trust_level == rules.MODERATOR_LEVEL,
                  on_fail=_Unconfirmed())
    uow.update(member, [MembershipItem.role.set(rules.MODERATOR)], condition, on_fail=on_fail)
    uow.record("ModeratorAppointed", admin_id,
               {"groupId": member.group_id, "userId": member.user_id, "appointedBy": admin_id})
    uow.commit()
    member.role = rules.MODERATOR
    return member


# ---- the moderation view -----------------------------------------------------------------------


@dataclass(frozen=True)
class QueueEntry:
    report: ReportItem
    subject: UserItem | None
    open_reports_about_subject: int
    reporter_upheld: int
    reporter_dismissed: int


@dataclass(frozen=True)
class Queue:
    reports: list[QueueEntry]
    flags: list[FlagItem]
    appeals: list[AppealItem]
    shown: dict[str, identities.Identity]  # everyone in it (fraud rings included), as the group knows them
    next_after: str | None = None  # the last entry's `rules.queue_key` when more follow


def queue(group_id: str, caller_id: str, limit: int = rules.QUEUE_PAGE, after: str | None = None) -> Queue:
    """One page of a group's open appeals, flags and reports (`rules.queue_page`), with the evidence of what it shows.

    Two calls whatever the queue's length: the group's open entries (one query: their items share the `OPEN` prefix,
    are small, and name whom they concern, so a report's count of open reports about its member covers the whole
    queue); then one batch for the page: the caller's membership (the moderator check comes before anything is
    shown), its reports and appeals, the subjects' profiles, the reporters' records and everyone's membership in the
    group (their identities). Entries from before they named anyone add a batch for those people."""
    found = reads.query_prefix(f"GROUP#{group_id}", "OPEN",
                               {"OPENREPORT": OpenReportItem, "OPENAPPEAL": OpenAppealItem, "OPENFLAG": FlagItem})
    keyed = sorted(((_queue_key(e, group_id), e) for e in found), key=lambda pair: pair[0])
    every = [e for _, e in keyed]
    page, next_after = rules.queue_page([k for k, _ in keyed], after, limit)
    entries = every[page]
    report_entries = [e for e in entries if isinstance(e, OpenReportItem)]
    appeal_entries = [e for e in entries if isinstance(e, OpenAppealItem)]
    flags = [e for e in entries if isinstance(e, FlagItem)]
    report_keys = [(ReportItem, ReportItem.key(e.report_id)) for e in report_entries]
    appeal_keys = [(AppealItem, AppealItem.key(e.appeal_id)) for e in appeal_entries]
    known = reads.Known()
    _, named = _evidence(group_id, [e.subject_user_id for e in report_entries if e.subject_user_id],
                         [e.reporter_id for e in report_entries if e.reporter_id],
                         [e.member_id for e in appeal_entries if e.member_id], flags)
    caller, *_ = known.read([_membership_key(group_id, caller_id), *report_keys, *appeal_keys, *named])
    checked_moderator(group_id, caller)
    open_reports = [r for r in known.read(report_keys) if r is not None]
    appeals = [a for a in known.read(appeal_keys) if a is not None]

    subject_ids = sorted({r.subject_user_id for r in open_reports})
    reporter_ids = sorted({r.reporter_id for r in open_reports})
    people, wanted = _evidence(group_id, subject_ids, reporter_ids, [a.member_id for a in appeals], flags)
    read = known.read(wanted)  # read with the reports, unless an entry from before named nobody
    subjects = dict(zip(subject_ids, read[:len(subject_ids)], strict=True))
    records = dict(zip(reporter_ids, read[len(subject_ids):len(subject_ids) + len(reporter_ids)], strict=True))
    memberships = read[len(subject_ids) + len(reporter_ids):]
    about = _open_reports_about(every, open_reports)

    def counts(reporter_id: str) -> tuple[int, int]:
        record = records[reporter_id]
        return (int(record.upheld), int(record.dismissed)) if record is not None else (0, 0)

    shown_reports = [QueueEntry(report, subjects[report.subject_user_id], about[report.subject_user_id],
                                *counts(report.reporter_id)) for report in open_reports]
    shown = {p: identities.of(p, group_id, m.pseudonym if m is not None else None)
             for p, m in zip(people, memberships, strict=True)}
    return Queue(shown_reports, flags, appeals, shown, next_after)


def _queue_key(entry: OpenReportItem | OpenAppealItem | FlagItem, group_id: str) -> str:
    if isinstance(entry, OpenAppealItem):
        return rules.queue_key(rules.APPEAL_KEY, entry.appeal_id)
    if isinstance(entry, FlagItem):
        return rules.queue_key(rules.FLAG_KEY, identities.handle_in(entry.user_id, group_id), entry.kind)
    return rules.queue_key(rules.REPORT_KEY, entry.report_id)


def _open_reports_about(entries: list, page_reports: list[ReportItem]) -> dict[str, int]:
    """Open reports about each member in the whole queue: the entries name whom they concern; an entry from before
    they did counts through its report when the page shows it."""
    about: dict[str, int] = {}
    named = {e.report_id for e in entries if isinstance(e, OpenReportItem) and e.subject_user_id}
    for entry in entries:
        if isinstance(entry, OpenReportItem) and entry.subject_user_id:
            about[entry.subject_user_id] = about.get(entry.subject_user_id, 0) + 1
    for report in page_reports:
        if report.report_id not in named:
            about[report.subject_user_id] = about.get(report.subject_user_id, 0) + 1
    return about


def _evidence(group_id: str, subject_ids: list[str], reporter_ids: list[str], appellant_ids: list[str],
              flags: list[FlagItem]) -> tuple[list[str], list[tuple[type, tuple[str, str]]]]:
    """(everyone in the queue, the keys of its evidence): the subjects' profiles, the reporters' records, then the
    membership in the group of everyone (subjects, reporters, appellants, flagged members and their rings)."""
    people = sorted(set(subject_ids) | set(reporter_ids) | set(appellant_ids) | {f.user_id for f in flags}
                    | {m for f in flags for m in _ring(f)})
    return people, [*[(UserItem, UserItem.key(u)) for u in subject_ids],
                    *[(ReporterRecordItem, ReporterRecordItem.key(group_id, u)) for u in reporter_ids],
                    *[_membership_key(group_id, p) for p in people]]


def _ring(flag: FlagItem) -> list[str]:
    """The user ids of a fraud ring a flag's evidence names (fraud.py), if it names one."""
    return json.loads(flag.evidence).get("ringMembers") or []


# ---- actions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionRequest:
    action: str
    reason: str
    report_id: str | None = None
    member_handle: str | None = None  # as the moderator was shown the member (issue 16: no stable ids)
    food_id: str | None = None
    days: int | None = None


@dataclass
class _Target:
    actor: MembershipItem
    report: ReportItem | None
    member_id: str | None
    post: FoodItem | None
    membership: MembershipItem | None
    reporter_counts: tuple[int, int] | None  # (upheld, dismissed) before this action, read when it dismisses
    # What the action takes for granted of the member's membership, which the transaction checks
    # (`_membership_as_decided`; None: the action does not look at it). Not `read` (`act`'s first try): neither
    # the membership (`membership` holds its key) nor the reporter's record was read.
    membership_condition: Condition | None = None
    read: bool = True
    # Read: the report's reporter is being erased (or gone), so an upheld report is not counted in their record,
    # which would name them after their sweep (a dismissal concerns the reporter: `member_id` is checked instead).
    reporter_erasing: bool = False


def _target(group_id: str, moderator_id: str, request: ActionRequest, known: reads.Known, *, read: bool) -> _Target:
    """The moderator's membership and what the action is about, all of it in this group (anything elsewhere is
    "not found"). Two batches: what the request names by key (the moderator's membership first checked, the
    member's handle's index item, the report, the post); then what those name (the member's membership, a
    reported post, the reporter's record when dismissing). The checks and their answers keep their order.
    Not `read`: no second batch; what the action takes for granted of it is left to its transaction (a
    reported post and a dismissal naming a handle are not: `_Unconfirmed`)."""
    handle_keys = identities.index_keys(request.member_handle) if request.member_handle is not None else []
    report_key = (ReportItem, ReportItem.key(request.report_id)) if request.report_id else None
    post_keys = ([(FoodItem, FoodItem.key(request.food_id))]
                 if request.action == rules.REMOVE_POST and request.food_id else [])
    actor, *_ = known.read([_membership_key(group_id, moderator_id), *handle_keys,
                            *([report_key] if report_key else []), *post_keys])
    actor = checked_moderator(group_id, actor)  # before resolving: a handle is no probe for outsiders
    named = None
    if request.member_handle is not None:
        named = identities.named_in(request.member_handle, group_id, moderator_id,
                                    known.get(*handle_keys[0]) if handle_keys else None)
        if named is None:
            raise identities.not_found("memberHandle")
    second = _second_keys(group_id, request, named, known.get(*report_key) if report_key else None,
                          known.get(*post_keys[0]) if post_keys else None)
    if not read and (any(model is FoodItem for model, _ in second) or (named and request.action == rules.DISMISS)):
        raise _Unconfirmed()
    if read:
        known.read(second)
        if named is not None and known.get(*_membership_key(group_id, named)) is None:
            raise identities.not_found("memberHandle")

    report = None
    if report_key:
        report = known.get(*report_key)
        if report is None or group_id not in report.group_ids:
            raise NotFound(f"Report {request.report_id} not found.", fields={"reportId": "names no report to this group"})
        if report.status != reports.OPEN:
            raise Conflict("This report has already been decided.", code="report_closed")
    food_id = request.food_id or (report.subject_id if report and report.subject_type == "food" else None)
    post = None
    if request.action == rules.REMOVE_POST and food_id:
        post = known.get(FoodItem, FoodItem.key(food_id))
        if post is None or post.group_id != group_id:
            field = "foodId" if request.food_id else "reportId"  # else the report named the post
            raise NotFound(f"Food {food_id} not found.", fields={field: "names no post of this group"})
    member_id = named or (post.sharer_id if post else None) or (report.subject_user_id if report else None)
    if request.action == rules.DISMISS and report:
        member_id = report.reporter_id  # a dismissal concerns (and may be appealed by) the reporter
    missing = rules.missing_for(request.action, report=report is not None, member=bool(member_id),
                                food=post is not None, days=request.days)
    if missing:
        raise ValidationFailed("The action is missing what it applies to.", fields=missing)
    looks = bool(member_id) and request.action != rules.DISMISS  # a dismissal does not look at the membership
    if not read:
        unread = None
        if looks:
            unread = _membership_as_decided(request.action, named is not None, moderator_id, actor.role, member_id)
            if unread is None:
                raise _Unconfirmed()  # refused whatever the membership holds: the answer is the read path's
        membership = MembershipItem(*MembershipItem.key(group_id, member_id), group_id=group_id, user_id=member_id)
        if request.action in (rules.REMOVE_MEMBER, rules.BAN):
            # The removal frees the member's pseudonym, which the handle's index item carries (recorded at join; the
            # transaction checks the membership holds it). Not named by a handle, or an item without one: read it.
            indexed = known.get(*handle_keys[0]) if handle_keys else None
            if indexed is None or indexed.user_id != member_id or not indexed.pseudonym:
                raise _Unconfirmed()
            membership.pseudonym = indexed.pseudonym
        return _Target(actor, report, member_id, post, membership, None, unread, read=False)
    membership = known.get(*_membership_key(group_id, member_id)) if looks else None
    if member_id and membership is None and request.action in (rules.WARN, rules.RESTRICT, rules.REMOVE_MEMBER):
        raise NotFound("Member not found.", fields={"memberHandle": "not a member of this group"})
    counts = None
    reporter_erasing = False
    if report is not None and request.action != rules.DISMISS:
        reporter = known.get(UserItem, UserItem.key(report.reporter_id))
        reporter_erasing = reporter is None or bool(reporter.erasing)
    if report is not None and request.action == rules.DISMISS:
        record = known.get(ReporterRecordItem, ReporterRecordItem.key(group_id, report.reporter_id))
        counts = (int(record.upheld), int(record.dismissed)) if record is not None else (0, 0)
    condition = _membership_as_decided(request.action, named is not None, moderator_id, actor.role, member_id,
                                       absent=membership is None) if looks else None
    return _Target(actor, report, member_id, post, membership, counts, condition, reporter_erasing=reporter_erasing)


def _membership_as_decided(action: str, named: bool, moderator_id: str, actor_role: str, member_id: str, *,
                           absent: bool = False) -> Condition | None:
    """What the action takes for granted of the member's membership as it commits, read or not: a role
    `rules.may_act` lets the moderator act on (the erasure's handover making the member admin meanwhile fails
    it: a moderator never acts on an admin, and a removal never leaves `admin_count` wrong), and (but for a
    post's sharer not named by handle) that it exists. Not read, a ban of someone who left before removes no
    membership, so it is decided reading it; `absent` (read, none found): none may appear meanwhile either.
    None: refused whatever the membership holds."""
    roles = [role for role in (rules.ADMIN, rules.MODERATOR, rules.MEMBER)
             if rules.may_act(moderator_id, actor_role, member_id, role)]
    if not roles:
        return None
    condition = MembershipItem.pk.exists() & MembershipItem.role.is_in(*roles)
    if action == rules.REMOVE_POST and not named:
        return MembershipItem.pk.does_not_exist() | condition
    return MembershipItem.pk.does_not_exist() if absent else condition


def _second_keys(group_id: str, request: ActionRequest, named: str | None, report: ReportItem | None,
                 post: FoodItem | None) -> list[tuple[type, tuple[str, str]]]:
    """What the first batch's items name, for the second batch (a guess where a check below may still refuse)."""
    keys: list[tuple[type, tuple[str, str]]] = []
    if report is not None and request.action == rules.DISMISS:
        keys.append((ReporterRecordItem, ReporterRecordItem.key(group_id, report.reporter_id)))
    if report is not None and request.action != rules.DISMISS:  # whether the reporter is being erased
        keys.append((UserItem, UserItem.key(report.reporter_id)))
    if report is not None and report.subject_type == "food" and request.action == rules.REMOVE_POST \
            and not request.food_id:
        keys.append((FoodItem, FoodItem.key(report.subject_id)))
    member_id = named or (post.sharer_id if post else None) or (report.subject_user_id if report else None)
    if member_id and (named or request.action != rules.DISMISS):  # a reported post's sharer is its report's subject
        keys.append(_membership_key(group_id, member_id))
    return keys


def act(group_id: str, moderator_id: str, request: ActionRequest) -> ModerationActionItem:
    """Take the action. Two calls when the first batch (the moderator's membership and what the request names)
    settles it: the transaction checks what it takes for granted of the member's membership (a role the
    moderator may act on) and of the reporter's record (a dismissal too few to flag them). Otherwise (a reported
    post, any refusal: a check, or the transaction's) the second batch is read and decides as before, with its
    answers."""
    known = reads.Known()  # the read path reads only what the first try did not
    try:
        return _take(group_id, moderator_id, request, _target(group_id, moderator_id, request, known, read=False))
    except DomainError:
        pass  # nothing was written
    return _take(group_id, moderator_id, request, _target(group_id, moderator_id, request, known, read=True))


def _take(group_id: str, moderator_id: str, request: ActionRequest, target: _Target) -> ModerationActionItem:
    actor = target.actor
    member_id = target.member_id
    assert member_id is not None  # missing_for guarantees one for every action
    if target.report is not None and target.report.subject_user_id == moderator_id:
        raise Forbidden("A report about you is decided by another admin or moderator.", code="own_report")
    if request.action != rules.DISMISS and target.read:
        target_role = target.membership.role if target.membership else None
        if not rules.may_act(moderator_id, actor.role, member_id, target_role):
            raise Forbidden("You may not take this action on this member.", code="not_allowed_on_member")
    now = clock.now()
    action_id = ids.new_id()
    uow = UnitOfWork()
    condition = target.membership_condition
    changed = Conflict("The member left or their role changed meanwhile.", code="invalid_state") \
        if target.read else _Unconfirmed()
    # The moderator as read: removed, banned or demoted while their action is in flight, it does not land.
    uow.check(MembershipItem, MembershipItem.key(group_id, moderator_id), groups.as_read(actor),
              on_fail=ConcurrentUpdate("Your role in this group changed meanwhile."))
    users.keep_acting(uow, moderator_id)
    # Whom the action concerns was read (from the report, the post, the handle): an action landing after their
    # erasure's sweep scanned would name them for good (the record under their id, a ban, a restriction).
    removes = request.action in (rules.REMOVE_MEMBER, rules.BAN) and target.membership is not None
    # A removal records the group in their departed groups with that check (their posts there are refused to
    # claims from now on, docs/trust-safety.md "Departures"); a ban in the groups that banned them (the group's
    # posts leave every view of theirs, a partner group's included: `visibility.sees`).
    users.keep_not_erasing(uow, member_id, on_fail=Conflict(
        "The member's account is being erased.", code="invalid_state") if target.read else _Unconfirmed(),
        departing=group_id if removes else None, banning=group_id if request.action == rules.BAN else None)
    if condition is not None and not removes:  # a removal's delete carries it
        uow.check(MembershipItem, MembershipItem.key(group_id, member_id), condition, on_fail=changed)
    penalty, until = None, None
    report = target.report
    if report is not None:
        upheld = request.action != rules.DISMISS
        reports.resolve(uow, report, reports.UPHELD if upheld else reports.DISMISSED, moderator_id)
        penalty = rules.penalty_for(report.reason) if upheld else None
        if not (upheld and target.reporter_erasing):
            # Their record must not land after their erasure's sweep (checked above when they act or are the member:
            # a dismissal's; one transaction checks an item once)
            if upheld and report.reporter_id not in (moderator_id, member_id):
                users.keep_not_erasing(uow, report.reporter_id, on_fail=ConcurrentUpdate(
                    "The reporter's account changed meanwhile.") if target.read else _Unconfirmed())
            _count_reporter(uow, group_id, report.reporter_id, upheld, target.reporter_counts, now)
    if request.action == rules.REMOVE_POST:
        post = target.post
        food_posts.unlist(uow, post, REMOVED,
                          on_fail=Conflict("Only an available post can be removed.", code="invalid_state"))
        uow.record("FoodWithdrawn", moderator_id,
                   {"foodId": post.food_id, "groupId": post.group_id, "sharerId": post.sharer_id})
    elif request.action == rules.RESTRICT:
        until = now + timedelta(days=request.days or 0)
        uow.save(RestrictionItem(*RestrictionItem.key(group_id, member_id), until=clock.iso(until),
                                 action_id=action_id, expires_at_epoch=until + timedelta(days=1)))
    elif request.action in (rules.REMOVE_MEMBER, rules.BAN):
        if removes:
            _remove_membership(uow, target.membership, condition, on_fail=changed)
        if request.action == rules.BAN:
            uow.save(BanItem(*BanItem.key(group_id, member_id), action_id=action_id, created_at=clock.iso(now)))
    event = uow.record(
        "ModerationActionTaken",
        moderator_id,
        {
            "actionId": action_id,
            "groupId": group_id,
            "action": request.action,
            "memberId": member_id,
            "moderatorId": moderator_id,
            "reportId": report.report_id if report else None,
            "foodId": target.post.food_id if target.post else None,
            "until": clock.iso(until) if until else None,
            "penalty": penalty,
        },
    )
    record = ModerationActionItem(
        *ModerationActionItem.key(member_id, action_id),
        action_id=action_id,
        group_id=group_id,
        member_id=member_id,
        moderator_id=moderator_id,
        action=request.action,
        reason=request.reason,
        report_id=report.report_id if report else None,
        food_id=target.post.food_id if target.post else None,
        penalty=penalty,
        until=clock.iso(until) if until else None,
        event_id=event.id,
        occurred_at=event.occurred_at,
    )
    uow.save(record, ModerationActionItem.pk.does_not_exist())
    uow.commit()
    return record


def _remove_membership(uow: UnitOfWork, membership: MembershipItem, condition: Condition, *,
                       on_fail: DomainError) -> None:
    """`condition`: what the action decided on of the membership (`_membership_as_decided`): never an admin's, so
    only `member_count` changes. Its pseudonym is freed as a leave frees it (the name no longer points at them; back
    in the group, they are the name they were), so the delete holds for the pseudonym taken for granted too."""
    uow.delete(membership, condition & groups.same_pseudonym(membership), on_fail=on_fail)
    groups.release_pseudonym(uow, membership)
    uow.update(GroupItem(*GroupItem.key(membership.group_id)), [GroupItem.member_count.add(-1)], GroupItem.pk.exists())
    uow.record("MemberLeft", None, {"groupId": membership.group_id, "userId": membership.user_id})


def _count_reporter(uow: UnitOfWork, group_id: str, reporter_id: str, upheld: bool,
                    dismissed_from: tuple[int, int] | None, now) -> None:
    """Keep the reporter's record in the group, and flag them when their reports keep being dismissed.
    `dismissed_from`: their (upheld, dismissed) counts before a dismissal, None when not read: an upheld report
    is a blind add (the flag only follows a dismissal), and so is a dismissal not read, on the condition that it
    is too few to flag them (`rules.CANNOT_FLAG_BELOW`)."""
    record = ReporterRecordItem(*ReporterRecordItem.key(group_id, reporter_id))
    if not upheld and dismissed_from is None:
        uow.update(record, [ReporterRecordItem.dismissed.add(1)],
                   ReporterRecordItem.dismissed.does_not_exist()
                   | (ReporterRecordItem.dismissed < rules.CANNOT_FLAG_BELOW)
                   | (ReporterRecordItem.upheld > ReporterRecordItem.dismissed), on_fail=_Unconfirmed())
        return
    uow.update(record, [(ReporterRecordItem.upheld if upheld else ReporterRecordItem.dismissed).add(1)])
    if upheld:
        return
    counts = dismissed_from[0], dismissed_from[1] + 1
    explanation = rules.reporter_flag(*counts)
    if explanation:
        kind = "unfounded_reports"
        uow.save(FlagItem(*FlagItem.key(group_id, reporter_id, kind), user_id=reporter_id, kind=kind,
                          explanation=explanation,
                          evidence=json.dumps({"upheld": counts[0], "dismissed": counts[1]}),
                          created_at=clock.iso(now)))
        uow.record("MemberFlagged", None, {"groupId": group_id, "userId": reporter_id, "kind": kind})


def actions_about(member_id: str) -> list[ModerationActionItem]:
    """What moderators decided about the member (their own view), newest first."""
    return list(ModerationActionItem.query(f"USER#{member_id}", ModerationActionItem.sk.startswith("MODACTION#"),
                                           scan_index_forward=False))


# ---- appeals ---------------------------------------------------------------------------------

OPEN, UPHELD, OVERTURNED = "open", "upheld", "overturned"


def appeal(member_id: str, action_id: str, statement: str | None) -> AppealItem:
    try:
        action = ModerationActionItem.get(*ModerationActionItem.key(member_id, action_id))
    except ModerationActionItem.DoesNotExist:
        raise NotFound(f"Action {action_id} not found.", fields={"actionId": "no such action about you"})
    appeal_id = ids.new_id()
    item = AppealItem(
        *AppealItem.key(appeal_id),
        appeal_id=appeal_id,
        action_id=action_id,
        group_id=action.group_id,
        member_id=member_id,
        moderator_id=action.moderator_id,
        statement=statement,
        status=OPEN,
        created_at=clock.now_iso(),
        action=action.action,
        penalty=action.penalty,
        action_event_id=action.event_id,
        action_occurred_at=action.occurred_at,
        report_id=action.report_id,
    )
    uow = UnitOfWork()
    users.keep_acting(uow, member_id)
    uow.update(action, [ModerationActionItem.appeal_id.set(appeal_id), ModerationActionItem.appeal_status.set(OPEN)],
               ModerationActionItem.appeal_id.does_not_exist(),
               on_fail=Conflict("This action has already been appealed; an action can be appealed once.",
                                code="already_appealed"))
    uow.save(item, AppealItem.pk.does_not_exist())
    uow.save(OpenAppealItem(*OpenAppealItem.key(action.group_id, appeal_id), appeal_id=appeal_id, member_id=member_id))
    uow.record("AppealFiled", member_id,
               {"appealId": appeal_id, "actionId": action_id, "groupId": action.group_id, "memberId": member_id})
    uow.commit()
    return item


def decide(appeal_id: str, admin_id: str, outcome: str, reason: str) -> AppealItem:
    """Decide the appeal (`_decide_appeal`); read again when the decider's membership changed meanwhile."""
    return with_retries(lambda: _decide_appeal(appeal_id, admin_id, outcome, reason))


def _decide_appeal(appeal_id: str, admin_id: str, outcome: str, reason: str) -> AppealItem:
    """Two calls for an appeal that carries what its decision needs of the action (since issue 15): the appeal,
    then the transaction, which checks that the decider is an admin of its group, that the action is there and,
    to overturn, that the restriction or ban it held still is (an overturned dismissal reads its report).
    Otherwise (an appeal from before, or any refusal) the decider's membership, the action and, to overturn, what
    it may still hold are read (their keys come from the appeal) and decide as before, with its answers; the
    transaction then holds only while the decider's membership is as read."""
    try:
        item = AppealItem.get(*AppealItem.key(appeal_id))
    except AppealItem.DoesNotExist:
        raise NotFound(f"Appeal {appeal_id} not found.")
    if item.action is not None and rules.may_decide_appeal(admin_id, rules.ADMIN, item.moderator_id, item.member_id):
        try:
            return _decide(item, admin_id, outcome, reason, _appealed(item), None)
        except DomainError:
            pass  # nothing was written
    held = [(model, model.key(item.group_id, item.member_id)) for model in (RestrictionItem, BanItem)]
    decider, action, *holds = reads.get_many([
        _membership_key(item.group_id, admin_id),
        (ModerationActionItem, ModerationActionItem.key(item.member_id, item.action_id)),
        *(held if outcome == OVERTURNED else []),
    ])
    decider = groups.checked_member(item.group_id, decider)
    if not rules.may_decide_appeal(admin_id, decider.role, item.moderator_id, item.member_id):
        raise Forbidden("An appeal is decided by a group admin other than whoever took the action.",
                        code="not_another_admin")
    if action is None:
        raise ModerationActionItem.DoesNotExist()  # an appeal keeps its action: a missing one is an error, as before
    return _decide(item, admin_id, outcome, reason, action, dict(zip((RestrictionItem, BanItem), holds, strict=True))
                   if outcome == OVERTURNED else {}, decider)


def _appealed(item: AppealItem) -> ModerationActionItem:
    """The appealed action as the appeal carries it (its key and what deciding needs), not read."""
    return ModerationActionItem(*ModerationActionItem.key(item.member_id, item.action_id), action_id=item.action_id,
                                group_id=item.group_id, member_id=item.member_id, moderator_id=item.moderator_id,
                                action=item.action, penalty=item.penalty, event_id=item.action_event_id,
                                occurred_at=item.action_occurred_at, report_id=item.report_id)


def _decide(item: AppealItem, admin_id: str, outcome: str, reason: str, action: ModerationActionItem,
            holds: dict[type, RestrictionItem | BanItem | None] | None,
            decider: MembershipItem | None = None) -> AppealItem:
    """The decision's transaction. `holds` None: nothing but the appeal was read, so it checks the decider's
    role, that the action is there and that what an overturn lifts is still this action's (`_undo`). Else the
    `decider`'s membership read must still be as read (one who left meanwhile decides nothing: read again)."""
    uow = UnitOfWork()
    users.keep_acting(uow, admin_id)
    action_condition = None
    if holds is None:
        uow.check(MembershipItem, MembershipItem.key(item.group_id, admin_id), MembershipItem.role == rules.ADMIN,
                  on_fail=_Unconfirmed())
        action_condition = ModerationActionItem.pk.exists()
    elif decider is not None:
        uow.check(MembershipItem, MembershipItem.key(item.group_id, admin_id), groups.as_read(decider),
                  on_fail=ConcurrentUpdate("Your membership changed meanwhile."))
    uow.update(item, [AppealItem.status.set(outcome), AppealItem.decided_by.set(admin_id),
                      AppealItem.decision_reason.set(reason)], AppealItem.status == OPEN,
               on_fail=Conflict("This appeal has already been decided.", code="appeal_decided"))
    uow.delete(OpenAppealItem(*OpenAppealItem.key(item.group_id, item.appeal_id)))
    uow.update(action, [ModerationActionItem.appeal_status.set(outcome)], action_condition,
               on_fail=_Unconfirmed() if action_condition is not None else None)
    if outcome == OVERTURNED:
        _undo(uow, action, holds)
    uow.record(
        "AppealDecided",
        admin_id,
        {
            "appealId": item.appeal_id,
            "actionId": action.action_id,
            "groupId": item.group_id,
            "memberId": item.member_id,
            "action": action.action,
            "outcome": outcome,
            "penalty": action.penalty,
            "actionEventId": action.event_id,
            "actionOccurredAt": action.occurred_at,
        },
    )
    uow.commit()
    item.status = outcome
    return item


def _undo(uow: UnitOfWork, action: ModerationActionItem,
          holds: dict[type, RestrictionItem | BanItem | None] | None) -> None:
    """Undo what an overturned action still holds (`holds`: the member's restriction and ban in the group, read
    with the action; None: not read, so the delete checks it is still this action's). A removed post or
    membership stays removed (the member may be invited again); the penalty is reversed by the reputation
    consumer from `AppealDecided`. A lifted ban leaves the member's `banned_from` too (the group's posts show to
    them again)."""
    if action.action in (rules.RESTRICT, rules.BAN):
        # Only this action's restriction or ban: a later action may have replaced it.
        model = RestrictionItem if action.action == rules.RESTRICT else BanItem
        if holds is None:
            uow.delete(model(*model.key(action.group_id, action.member_id)), model.action_id == action.action_id,
                       on_fail=_Unconfirmed())
        else:
            held = holds[model]
            if held is None or held.action_id != action.action_id:
                return
            uow.delete(held, model.action_id == action.action_id)
        if model is BanItem:
            users.lift_ban(uow, action.member_id, action.group_id, on_fail=_Unconfirmed() if holds is None else
                           Conflict("The member's account was erased meanwhile.", code="invalid_state"))
    elif action.action == rules.DISMISS and action.report_id:
        report = reports.get(action.report_id)
        uow.update(report, [ReportItem.status.set(reports.OPEN)], ReportItem.status == reports.DISMISSED)
        for group_id in report.group_ids:
            uow.save(reports.queue_entry(group_id, report))
