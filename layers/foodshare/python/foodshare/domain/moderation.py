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

from foodshare import clock, ids
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
from foodshare.data.transaction import UnitOfWork
from foodshare.domain import food as food_posts
from foodshare.domain import groups, reports, users
from foodshare.domain import moderation_rules as rules
from foodshare.errors import Conflict, Forbidden, NotFound, ValidationFailed

REMOVED = "removed"  # a post's status after a moderator removed it


def require_moderator(group_id: str, user_id: str) -> MembershipItem:
    member = groups.require_member(group_id, user_id)
    if member.role not in rules.MODERATING_ROLES:
        raise Forbidden("Only the group's admins and moderators may do this.")
    return member


# ---- moderators ------------------------------------------------------------------------------


def appoint_moderator(group_id: str, admin_id: str, member_id: str) -> MembershipItem:
    groups.require_admin(group_id, admin_id)
    member = groups.membership(group_id, member_id)
    if member is None:
        raise NotFound("Member not found.", fields={"memberHandle": "not a member of this group"})
    if member.role != rules.MEMBER:
        raise Conflict(f"This member is already {member.role}.", code="already_moderating")
    if not rules.may_grant_moderator(users.get(member_id).trust_level):
        raise Conflict("Only exemplary members may be made moderators.", code="not_exemplary")
    uow = UnitOfWork()
    uow.update(member, [MembershipItem.role.set(rules.MODERATOR)], MembershipItem.role == rules.MEMBER,
               on_fail=Conflict("The membership changed meanwhile.", code="invalid_state"))
    uow.record("ModeratorAppointed", admin_id, {"groupId": group_id, "userId": member_id, "appointedBy": admin_id})
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


def queue(group_id: str, caller_id: str) -> Queue:
    """Open reports with their evidence, flagged members and open appeals of one group."""
    require_moderator(group_id, caller_id)
    open_reports = reports.open_in_group(group_id)
    subjects = {u.user_id: u for u in UserItem.batch_get(
        [UserItem.key(uid) for uid in {r.subject_user_id for r in open_reports}])} if open_reports else {}
    records = {
        item.sk.split("#", 1)[1]: item
        for item in ReporterRecordItem.query(f"GROUP#{group_id}", ReporterRecordItem.sk.startswith("REPORTER#"))
    }
    about: dict[str, int] = {}
    for report in open_reports:
        about[report.subject_user_id] = about.get(report.subject_user_id, 0) + 1
    entries = [
        QueueEntry(
            report,
            subjects.get(report.subject_user_id),
            about[report.subject_user_id],
            int(records[report.reporter_id].upheld) if report.reporter_id in records else 0,
            int(records[report.reporter_id].dismissed) if report.reporter_id in records else 0,
        )
        for report in open_reports
    ]
    flags = list(FlagItem.query(f"GROUP#{group_id}", FlagItem.sk.startswith("FLAG#")))
    appeal_keys = [AppealItem.key(item.appeal_id) for item in
                   OpenAppealItem.query(f"GROUP#{group_id}", OpenAppealItem.sk.startswith("OPENAPPEAL#"))]
    appeals = sorted(AppealItem.batch_get(appeal_keys), key=lambda a: a.appeal_id) if appeal_keys else []
    return Queue(entries, flags, appeals)


# ---- actions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionRequest:
    action: str
    reason: str
    report_id: str | None = None
    member_id: str | None = None
    food_id: str | None = None
    days: int | None = None


@dataclass
class _Target:
    report: ReportItem | None
    member_id: str | None
    post: FoodItem | None
    membership: MembershipItem | None


def _target(group_id: str, request: ActionRequest) -> _Target:
    """What the action is about, all of it in this group (anything elsewhere is "not found")."""
    report = None
    if request.report_id:
        report = reports.get(request.report_id)
        if group_id not in report.group_ids:
            raise NotFound(f"Report {request.report_id} not found.")
        if report.status != reports.OPEN:
            raise Conflict("This report has already been decided.", code="report_closed")
    food_id = request.food_id or (report.subject_id if report and report.subject_type == "food" else None)
    post = None
    if request.action == rules.REMOVE_POST and food_id:
        post = food_posts.find(food_id)
        if post is None or post.group_id != group_id:
            raise NotFound(f"Food {food_id} not found.")
    member_id = request.member_id or (post.sharer_id if post else None) or (report.subject_user_id if report else None)
    if request.action == rules.DISMISS and report:
        member_id = report.reporter_id  # a dismissal concerns (and may be appealed by) the reporter
    missing = rules.missing_for(request.action, report=report is not None, member=bool(member_id),
                                food=post is not None, days=request.days)
    if missing:
        raise ValidationFailed("The action is missing what it applies to.", fields=missing)
    membership = groups.membership(group_id, member_id) if member_id else None
    if member_id and membership is None and request.action in (rules.WARN, rules.RESTRICT, rules.REMOVE_MEMBER):
        raise NotFound("Member not found.", fields={"memberHandle": "not a member of this group"})
    return _Target(report, member_id, post, membership)


def act(group_id: str, moderator_id: str, request: ActionRequest) -> ModerationActionItem:
    actor = require_moderator(group_id, moderator_id)
    target = _target(group_id, request)
    member_id = target.member_id
    assert member_id is not None  # missing_for guarantees one for every action
    if target.report is not None and target.report.subject_user_id == moderator_id:
        raise Forbidden("A report about you is decided by another admin or moderator.", code="own_report")
    if request.action != rules.DISMISS:
        target_role = target.membership.role if target.membership else None
        if not rules.may_act(moderator_id, actor.role, member_id, target_role):
            raise Forbidden("You may not take this action on this member.", code="not_allowed_on_member")
    now = clock.now()
    action_id = ids.new_id()
    uow = UnitOfWork()
    penalty, until = None, None
    report = target.report
    if report is not None:
        upheld = request.action != rules.DISMISS
        reports.resolve(uow, report, reports.UPHELD if upheld else reports.DISMISSED, moderator_id)
        penalty = rules.penalty_for(report.reason) if upheld else None
        _count_reporter(uow, group_id, report.reporter_id, upheld, now)
    if request.action == rules.REMOVE_POST:
        post = target.post
        uow.update(post, food_posts.unlist_actions(REMOVED), FoodItem.status == food_posts.AVAILABLE,
                   on_fail=Conflict("Only an available post can be removed.", code="invalid_state"))
        uow.record("FoodWithdrawn", moderator_id,
                   {"foodId": post.food_id, "groupId": post.group_id, "sharerId": post.sharer_id})
    elif request.action == rules.RESTRICT:
        until = now + timedelta(days=request.days or 0)
        uow.save(RestrictionItem(*RestrictionItem.key(group_id, member_id), until=clock.iso(until),
                                 action_id=action_id, expires_at_epoch=until + timedelta(days=1)))
    elif request.action in (rules.REMOVE_MEMBER, rules.BAN):
        if target.membership is not None:
            _remove_membership(uow, target.membership)
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


def _remove_membership(uow: UnitOfWork, membership: MembershipItem) -> None:
    uow.delete(membership, MembershipItem.pk.exists(),
               on_fail=Conflict("The member left meanwhile.", code="invalid_state"))
    uow.update(GroupItem(*GroupItem.key(membership.group_id)), [GroupItem.member_count.add(-1)], GroupItem.pk.exists())
    uow.record("MemberLeft", None, {"groupId": membership.group_id, "userId": membership.user_id})


def _count_reporter(uow: UnitOfWork, group_id: str, reporter_id: str, upheld: bool, now) -> None:
    """Keep the reporter's record in the group, and flag them when their reports keep being dismissed."""
    record = ReporterRecordItem(*ReporterRecordItem.key(group_id, reporter_id))
    try:
        current = ReporterRecordItem.get(record.pk, record.sk)
        counts = int(current.upheld), int(current.dismissed)
    except ReporterRecordItem.DoesNotExist:
        counts = 0, 0
    counts = (counts[0] + 1, counts[1]) if upheld else (counts[0], counts[1] + 1)
    uow.update(record, [(ReporterRecordItem.upheld if upheld else ReporterRecordItem.dismissed).add(1)])
    explanation = rules.reporter_flag(*counts)
    if explanation and not upheld:
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
    )
    uow = UnitOfWork()
    uow.update(action, [ModerationActionItem.appeal_id.set(appeal_id), ModerationActionItem.appeal_status.set(OPEN)],
               ModerationActionItem.appeal_id.does_not_exist(),
               on_fail=Conflict("This action has already been appealed; an action can be appealed once.",
                                code="already_appealed"))
    uow.save(item, AppealItem.pk.does_not_exist())
    uow.save(OpenAppealItem(*OpenAppealItem.key(action.group_id, appeal_id), appeal_id=appeal_id))
    uow.record("AppealFiled", member_id,
               {"appealId": appeal_id, "actionId": action_id, "groupId": action.group_id, "memberId": member_id})
    uow.commit()
    return item


def decide(appeal_id: str, admin_id: str, outcome: str, reason: str) -> AppealItem:
    try:
        item = AppealItem.get(*AppealItem.key(appeal_id))
    except AppealItem.DoesNotExist:
        raise NotFound(f"Appeal {appeal_id} not found.")
    decider = groups.require_member(item.group_id, admin_id)
    if not rules.may_decide_appeal(admin_id, decider.role, item.moderator_id, item.member_id):
        raise Forbidden("An appeal is decided by a group admin other than whoever took the action.",
                        code="not_another_admin")
    action = ModerationActionItem.get(*ModerationActionItem.key(item.member_id, item.action_id))
    uow = UnitOfWork()
    uow.update(item, [AppealItem.status.set(outcome), AppealItem.decided_by.set(admin_id),
                      AppealItem.decision_reason.set(reason)], AppealItem.status == OPEN,
               on_fail=Conflict("This appeal has already been decided.", code="appeal_decided"))
    uow.delete(OpenAppealItem(*OpenAppealItem.key(item.group_id, appeal_id)))
    uow.update(action, [ModerationActionItem.appeal_status.set(outcome)])
    if outcome == OVERTURNED:
        _undo(uow, action)
    uow.record(
        "AppealDecided",
        admin_id,
        {
            "appealId": appeal_id,
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


def _undo(uow: UnitOfWork, action: ModerationActionItem) -> None:
    """Undo what an overturned action still holds. A removed post or membership stays removed (the
    member may be invited again); the penalty is reversed by the reputation consumer from `AppealDecided`."""
    if action.action in (rules.RESTRICT, rules.BAN):
        # Only this action's restriction or ban: a later action may have replaced it.
        model = RestrictionItem if action.action == rules.RESTRICT else BanItem
        try:
            held = model.get(*model.key(action.group_id, action.member_id))
        except model.DoesNotExist:
            return
        if held.action_id == action.action_id:
            uow.delete(held, model.action_id == action.action_id)
    elif action.action == rules.DISMISS and action.report_id:
        report = reports.get(action.report_id)
        uow.update(report, [ReportItem.status.set(reports.OPEN)], ReportItem.status == reports.DISMISSED)
        for group_id in report.group_ids:
            uow.save(OpenReportItem(*OpenReportItem.key(group_id, report.report_id), report_id=report.report_id))
