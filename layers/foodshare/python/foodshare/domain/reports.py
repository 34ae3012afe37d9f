"""Reports: a member flags a user, a post or an exchange for the moderators of the groups concerned.

A reporter can only report what they can see (a post as `GET /food/{foodId}` shows it to them, `visibility.sees`:
never one a moderator removed already; an exchange they took part in; a user they share a group with); anything
else is "not found", so reporting cannot probe for ids. One open report per reporter and subject: a lock
item put only if absent, in the report's own transaction, released when the report
is decided. The `ReportFiled` event carries ids only (never the details text).
"""

from __future__ import annotations

from dataclasses import dataclass

from foodshare import clock, ids
from foodshare.data.models import OpenReportItem, ReportItem, ReportLockItem
from foodshare.data.transaction import UnitOfWork
from foodshare.domain import exchanges, groups, identities, users
from foodshare.domain import food as food_posts
from foodshare.domain.moderation_rules import REASONS, SUBJECT_TYPES  # noqa: F401  (re-exported)
from foodshare.errors import Conflict, NotFound, ValidationFailed

OPEN, UPHELD, DISMISSED = "open", "upheld", "dismissed"


_UNKNOWN_SUBJECT = {"food": "not a post you can see", "exchange": "not an exchange you took part in"}


@dataclass(frozen=True)
class Subject:
    """Whom a report is about and whose moderators receive it."""

    user_id: str
    group_ids: list[str]


def _subject(reporter_id: str, subject_type: str, subject_id: str, group_id: str | None) -> Subject:
    try:
        if subject_type == "food":
            post = food_posts.get_detail(subject_id, reporter_id).post  # who sees it, as GET /food/{foodId}
            return Subject(post.sharer_id, [post.group_id])
        if subject_type == "exchange":
            exchange = exchanges.get_for_participant(subject_id, reporter_id)
            other = exchange.claimer_id if reporter_id == exchange.sharer_id else exchange.sharer_id
            return Subject(other, [exchange.group_id])
    except NotFound as unknown:  # the readers answer for a path's id: here the id is the body's
        raise NotFound(unknown.message, fields={"subjectId": _UNKNOWN_SUBJECT[subject_type]}) from None
    shared = sorted(set(groups.group_ids_of(reporter_id)) & set(groups.group_ids_of(subject_id)))
    if group_id is not None:
        shared = [g for g in shared if g == group_id]
    if not shared:
        raise NotFound("User not found.", fields={"subjectId": "not a member of a group you are in"})
    return Subject(subject_id, shared)


class _NotShared(NotFound):
    """The reporter or the person reported is no longer a member of the group the handle was shown in."""


def file_about_member(reporter_id: str, handle: str, reason: str, details: str | None) -> ReportItem:
    """A report about the person the reporter was shown as `handle` (issue 16: never a stable id), kept to the
    group they were shown in.

    Two calls: the handle's index item, then the report's transaction, which checks that both are members of
    that group (no read of their memberships). Anything else (the reporter's own handle, one the index does not
    hold, someone no longer in that group) takes the general path with its answers: the reporter's groups
    searched for the handle (`identities.resolve`), then `file`."""
    found = identities.indexed(handle)
    if found is not None and found.user_id != reporter_id:
        try:
            return _write(reporter_id, "user", found.user_id, reason, details,
                          Subject(found.user_id, [found.group_id]), members_of=found.group_id)
        except _NotShared:
            pass
    user_id, group_id = identities.require(handle, reporter_id, set(groups.group_ids_of(reporter_id)), "subjectId")
    return file(reporter_id, "user", user_id, reason, details, group_id=group_id)


def file(reporter_id: str, subject_type: str, subject_id: str, reason: str, details: str | None,
         group_id: str | None = None) -> ReportItem:
    """`subject_id` is a user id for a user; `group_id` (users only) keeps the report to the group the
    reporter saw them in (the API resolves the handle they were shown to both)."""
    if subject_type == "user" and subject_id == reporter_id:
        raise ValidationFailed("You cannot report yourself.", fields={"subjectId": "is you"})
    return _write(reporter_id, subject_type, subject_id, reason, details,
                  _subject(reporter_id, subject_type, subject_id, group_id))


def _write(reporter_id: str, subject_type: str, subject_id: str, reason: str, details: str | None,
           subject: Subject, members_of: str | None = None) -> ReportItem:
    """The report's transaction; `members_of`: a group the reporter and the subject must both be in as it
    commits (else `_NotShared`, nothing written)."""
    if subject.user_id == reporter_id:
        raise ValidationFailed("You cannot report your own post.", fields={"subjectId": "is your own"})
    report_id = ids.new_id()
    report = ReportItem(
        *ReportItem.key(report_id),
        report_id=report_id,
        reporter_id=reporter_id,
        subject_type=subject_type,
        subject_id=subject_id,
        subject_user_id=subject.user_id,
        reason=reason,
        details=details,
        group_ids=subject.group_ids,
        status=OPEN,
        created_at=clock.now_iso(),
    )
    uow = UnitOfWork()
    users.keep_acting(uow, reporter_id)
    for user_id in ([reporter_id, subject.user_id] if members_of else []):
        groups.keep_member(uow, members_of, user_id, on_fail=_NotShared("Member not found."))
    # Whom it is about was read (from the post, the exchange, the handle): a report landing after their erasure's
    # sweep scanned would name them for good.
    users.keep_not_erasing(uow, subject.user_id, on_fail=Conflict(
        "The account this is about is being erased: it can no longer be reported.", code="invalid_state"))
    uow.save(
        ReportLockItem(*ReportLockItem.key(reporter_id, subject_type, subject_id), report_id=report_id),
        ReportLockItem.pk.does_not_exist(),
        on_fail=Conflict("You already have an open report about this.", code="already_reported"),
    )
    uow.save(report, ReportItem.pk.does_not_exist())
    for group_id in subject.group_ids:
        uow.save(queue_entry(group_id, report))
        identities.record_handle(uow, reporter_id, group_id)  # the moderators see the reporter there
    uow.record(
        "ReportFiled",
        reporter_id,
        {
            "reportId": report_id,
            "subjectType": subject_type,
            "subjectId": subject_id,
            "subjectUserId": subject.user_id,
            "reason": reason,
            "groupIds": subject.group_ids,
        },
    )
    uow.commit()
    return report


def queue_entry(group_id: str, report: ReportItem) -> OpenReportItem:
    """The open report's entry in the group's moderation queue, naming whom it concerns (the queue reads their
    evidence by it, beside the report)."""
    return OpenReportItem(*OpenReportItem.key(group_id, report.report_id), report_id=report.report_id,
                          reporter_id=report.reporter_id, subject_user_id=report.subject_user_id)


def get(report_id: str) -> ReportItem:
    try:
        return ReportItem.get(*ReportItem.key(report_id))
    except ReportItem.DoesNotExist:
        raise NotFound(f"Report {report_id} not found.")


def resolve(uow: UnitOfWork, report: ReportItem, status: str, moderator_id: str) -> None:
    """Close an open report (in the caller's transaction): its queue entries and its reporter's lock go."""
    now = clock.now_iso()
    uow.update(
        report,
        [ReportItem.status.set(status), ReportItem.resolved_at.set(now), ReportItem.resolved_by.set(moderator_id)],
        ReportItem.status == OPEN,
        on_fail=Conflict("This report has already been decided.", code="report_closed"),
    )
    for group_id in report.group_ids:
        uow.delete(OpenReportItem(*OpenReportItem.key(group_id, report.report_id)))
    uow.delete(ReportLockItem(*ReportLockItem.key(report.reporter_id, report.subject_type, report.subject_id)))
