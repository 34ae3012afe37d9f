"""Views: the response models (`api/models.py`) built from the data items."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from foodshare import cursors
from foodshare.api import models
from foodshare.data.models import (
    DataSubjectRequestItem,
    ExchangeItem,
    ExportItem,
    FoodItem,
    GroupItem,
    InviteItem,
    MembershipItem,
    PartnershipItem,
    RatingItem,
    ReputationHistoryItem,
    UserItem,
)
from foodshare import clock, identity_key
from foodshare.domain import food_rules, identities, partnerships, privacy
from foodshare.domain.discovery import Result

if TYPE_CHECKING:
    from foodshare.data.models import AppealItem, ModerationActionItem, ReportItem
    from foodshare.domain import credits
    from foodshare.domain.exchanges import Participation
    from foodshare.domain.fairness import GroupQuota
    from foodshare.domain.moderation import Queue
    from foodshare.domain.privacy_settings import PrivacySettings
    from foodshare.group_activity import Leader


def _number(value) -> float | int:
    as_float = float(value)
    return int(as_float) if as_float.is_integer() else as_float


def profile(user: UserItem) -> models.Profile:
    return models.Profile(
        user_id=user.user_id,
        display_name=user.display_name,
        pseudonym=user.pseudonym,
        location=models.GeoPoint(lat=_number(user.lat), lng=_number(user.lng)) if user.lat is not None else None,
        score=_number(user.score),
        trust_level=user.trust_level,
        created_at=user.created_at,
    )


def identity(who: identities.Identity, mine: bool) -> models.Identity:
    return models.Identity(handle=who.handle, pseudonym=who.pseudonym, mine=mine)


def seen_by(viewer_id: str, user_id: str, group_id: str, stored_pseudonym: str | None = None) -> models.Identity:
    """`user_id` as members of `group_id` know them, seen by `viewer_id`."""
    return identity(identities.of(user_id, group_id, stored_pseudonym), viewer_id == user_id)


def privacy_settings(chosen: PrivacySettings) -> models.PrivacySettings:
    return models.PrivacySettings(restricted=chosen.restricted, leaderboard=chosen.leaderboard,
                                  location_precision=chosen.location_precision)


def subject_request(item: DataSubjectRequestItem) -> models.DataSubjectRequest:
    return models.DataSubjectRequest(request_id=item.request_id, type=item.type, requested_at=item.requested_at,
                                     outcome=item.outcome, completed_at=item.completed_at, detail=item.detail)


def erasure_status(progress) -> models.ErasureStatus:
    """An erasure's progress record (domain/erasure.ErasureProgressItem)."""
    return models.ErasureStatus(request_id=progress.request_id, status=progress.status,
                                started_at=progress.started_at, completed_at=progress.completed_at,
                                segments_done=len(progress.done_segments or ()),
                                segments_total=int(progress.total_segments))


def data_export(item: ExportItem, status: str, url: str | None = None,
                url_expires_at: str | None = None) -> models.DataExport:
    return models.DataExport(export_id=item.export_id, status=status, requested_at=item.requested_at,
                             ready_at=item.ready_at, expires_at=item.expires_at, download_url=url,
                             url_expires_at=url_expires_at)


def reputation_of_other(user: UserItem, who: identities.Identity) -> models.MemberReputation:
    """Someone else's reputation, opened by their handle: what one group may know of them."""
    return models.MemberReputation(handle=who.handle, pseudonym=who.pseudonym, mine=False,
                                   trust_level=user.trust_level)


def reputation(user: UserItem, history: list[ReputationHistoryItem]) -> models.Reputation:
    ratings = int(user.ratings_received)
    return models.Reputation(
        user_id=user.user_id,
        pseudonym=user.pseudonym,
        score=_number(user.score),
        trust_level=user.trust_level,
        counts=models.ReputationCounts(
            food_shared=int(user.shared_count),
            exchanges_completed=int(user.completed_count),
            exchanges_cancelled=int(user.cancelled_count),
            no_shows=int(user.no_show_count),
            ratings_received=ratings,
        ),
        average_rating=round(float(user.rating_stars_total) / ratings, 2) if ratings else None,
        history=[reputation_change(h) for h in history],
    )


def reputation_change(item: ReputationHistoryItem) -> models.ReputationChange:
    return models.ReputationChange(
        occurred_at=item.occurred_at,
        event_id=item.event_id,
        event_type=item.event_type,
        impact=item.kind,
        points=_number(item.points),
        applied=_number(item.applied),
        previous_score=_number(item.previous_score),
        new_score=_number(item.new_score),
        reason=item.reason,
    )


def leader(rank: int, row: Leader, group_id: str, viewer_id: str) -> models.Leader:
    """A leaderboard row: the member's identity in this group and trust level; the exact score only
    on the viewer's own row (an exact score is the same in every group and would link them)."""
    who = seen_by(viewer_id, row.user_id, group_id, row.pseudonym)
    return models.Leader(**who.model_dump(), rank=rank, trust_level=row.trust_level,
                         score=_number(row.score) if who.mine else None)


def group(item: GroupItem, member: MembershipItem | None) -> models.Group:
    return models.Group(
        group_id=item.group_id,
        name=item.name,
        description=item.description,
        member_count=int(item.member_count),
        role=member.role if member else None,
        disclaimer=item.disclaimer,
        disclaimer_version=int(item.disclaimer_version) if item.disclaimer_version else None,
        created_at=item.created_at,
    )


def my_group(item: GroupItem, member: MembershipItem) -> models.MyGroup:
    """A group of the caller's (GET /me/groups): the group as GET /groups/{groupId} shows it, when they joined and
    who they are in it (their identity there, as the group's other members see them)."""
    return models.MyGroup(**group(item, member).model_dump(), joined_at=member.joined_at,
                          me=seen_by(member.user_id, member.user_id, item.group_id, member.pseudonym))


def my_groups(found: list[tuple[GroupItem, MembershipItem]], next_after: str | None) -> models.MyGroups:
    return models.MyGroups(groups=[my_group(g, m) for g, m in found], next_cursor=page_cursor(next_after))


def page_cursor(next_after: str | None, seal: cursors.Seal | None = None) -> str | None:
    """The cursor of the next page of a list (the sort key its page ended at; sealed with `seal` where the list
    needs it: `cursors`), None on the last."""
    return cursors.next_after(next_after, seal)


def invite(item: InviteItem, creator: MembershipItem, viewer_id: str) -> models.Invite:
    """An invite with its creator as the group knows them (their membership: their pseudonym there)."""
    return models.Invite(invite_code=item.code, group_id=item.group_id, created_at=item.created_at,
                         expires_at=item.expires_at, max_uses=int(item.max_uses) if item.max_uses is not None else None,
                         uses=int(item.uses or 0),
                         created_by=seen_by(viewer_id, creator.user_id, item.group_id, creator.pseudonym))


def invites(found: list[tuple[InviteItem, MembershipItem]], viewer_id: str, next_after: str | None,
            seal: cursors.Seal) -> models.Invites:
    return models.Invites(invites=[invite(i, creator, viewer_id) for i, creator in found],
                          next_cursor=page_cursor(next_after, seal))


def revoked_invite(item: InviteItem) -> models.RevokedInvite:
    return models.RevokedInvite(invite_code=item.code, group_id=item.group_id, revoked_at=item.revoked_at)


def partnership(item: PartnershipItem) -> models.Partnership:
    return models.Partnership(
        partnership_id=item.partnership_id,
        from_group_id=item.from_group_id,
        to_group_id=item.to_group_id,
        status=item.status,
        terms=models.PartnershipTerms.model_validate(partnerships.terms_view(partnerships.Terms.of(item.terms))),
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def group_partnerships(found: list[partnerships.Listed], next_after: str | None,
                       seal: cursors.Seal) -> models.GroupPartnerships:
    return models.GroupPartnerships(partnerships=[models.GroupPartnership(
        partnership_id=p.partnership.partnership_id, partner_group_id=p.partner_group_id,
        partner_group_name=p.partner_name, direction=p.direction, status=p.status,
        terms=models.PartnershipTerms.model_validate(partnerships.terms_view(p.terms)),
        created_at=p.partnership.created_at, updated_at=p.partnership.updated_at) for p in found],
        next_cursor=page_cursor(next_after, seal))

def _food_fields(post: FoodItem, viewer_id: str, shown: privacy.Shown) -> dict:
    return {
        "food_id": post.food_id,
        "group_id": post.group_id,
        "sharer": seen_by(viewer_id, post.sharer_id, post.group_id, post.sharer_pseudonym),
        "title": post.title,
        "description": post.description,
        "quantity": int(post.quantity),
        "dietary_tags": list(post.dietary_tags or []),
        "allergens": list(post.allergens or []),
        "pickup_location": models.PickupPoint(
            lat=_number(shown.lat), lng=_number(shown.lng), label=shown.label, precision=shown.precision
        ),
        "pickup_start": post.pickup_start,
        "pickup_end": post.pickup_end,
        "status": food_rules.shown_status(post.status, post.pickup_end, clock.now_iso()),
        "created_at": post.created_at,
    }


def _shown(post: FoodItem, exact: bool) -> privacy.Shown:
    return privacy.pickup(identity_key.key(), post.food_id, float(post.pickup_lat), float(post.pickup_lng),
                          post.pickup_label, exact)


def food(post: FoodItem) -> models.Food:
    """A post as its sharer sees it (share, withdraw): exact place, `mine` sharer."""
    return models.Food(**_food_fields(post, post.sharer_id, _shown(post, True)))


def food_detail(post: FoodItem, viewer_id: str, exact: bool, from_partner_group: bool,
                exchange_id: str | None) -> models.FoodDetail:
    """A post as `viewer_id` sees it: the place exact or as an area (`food.get_detail`)."""
    return models.FoodDetail(**_food_fields(post, viewer_id, _shown(post, exact)),
                             from_partner_group=from_partner_group, exchange_id=exchange_id)


def exchange_shown(post: FoodItem, viewer_id: str) -> str | None:
    """The exchange a post's view names: its sharer's only (GET /food/{foodId}, GET /me/food)."""
    return post.exchange_id if post.exchange_id and viewer_id == post.sharer_id else None


def own_posts(posts: list[FoodItem], viewer_id: str, next_after: str | None) -> models.OwnPosts:
    """The caller's own posts (GET /me/food), each as GET /food/{foodId} shows it to its sharer (exact place)."""
    return models.OwnPosts(posts=[food_detail(p, viewer_id, True, False, exchange_shown(p, viewer_id)) for p in posts],
                           next_cursor=page_cursor(next_after))


def discovered(result: Result, viewer_id: str) -> models.DiscoveredFood:
    fields = _food_fields(result.post, viewer_id, result.shown or _shown(result.post, False))
    who = fields.pop("sharer")
    return models.DiscoveredFood(
        **fields,
        group_name=result.group_name,
        from_partner_group=result.from_partner_group,
        sharer=models.Sharer(**who.model_dump(), trust_level=result.sharer.trust_level),
        distance_km=round(result.distance_km, 2) if result.distance_km is not None else None,
    )


def discovery_page(page: list[Result], next_cursor: str | None, viewer_id: str) -> str:
    """GET /food's body, serialized once: the page cache keeps and serves it as it is (per caller)."""
    body = models.DiscoveryPage(items=[discovered(r, viewer_id) for r in page], next_cursor=next_cursor)
    return body.model_dump_json(by_alias=True)


def exchange(item: ExchangeItem, viewer_id: str,
             parties: tuple[identities.Identity, identities.Identity] | None = None) -> models.Exchange:
    """Both participants as their identities in the exchange's group (`mine` marks the viewer). `parties`: those
    identities when the caller worked them out (a page's, in one batch: `identities.in_exchanges`)."""
    sharer, claimer = parties or identities.in_exchange(item)
    return models.Exchange(
        exchange_id=item.exchange_id,
        food_id=item.food_id,
        group_id=item.group_id,
        sharer=identity(sharer, item.sharer_id == viewer_id),
        claimer=identity(claimer, item.claimer_id == viewer_id),
        status=item.status,
        sharer_confirmed=bool(item.sharer_confirmed),
        claimer_confirmed=bool(item.claimer_confirmed),
        via_partnership=item.partnership_id is not None,
        pickup_start=item.pickup_start,
        pickup_end=item.pickup_end,
        claimed_at=item.claimed_at,
        completed_at=item.completed_at,
        auto_settled=bool(item.auto_settled),
    )


def my_exchanges(page: list[Participation], viewer_id: str, next_after: str | None) -> models.MyExchanges:
    """The caller's exchanges (GET /me/exchanges): each as the exchange routes answer it, with its post as
    GET /food/{foodId} would show it to them (the place exact for the sharer and the claimer of an active claim)."""
    parties = identities.in_exchanges([p.exchange for p in page])
    return models.MyExchanges(
        exchanges=[models.MyExchange(
            **exchange(p.exchange, viewer_id, who).model_dump(),
            food=food_detail(p.post, viewer_id, p.exact, p.from_partner_group, exchange_shown(p.post, viewer_id))
            if p.post is not None else None)
            for p, who in zip(page, parties, strict=True)],
        next_cursor=page_cursor(next_after))


def rating(item: RatingItem, exchange: ExchangeItem) -> models.Rating:
    """A rating as its rater sees it: the rated person as their identity in the exchange's group."""
    sharer, claimer = identities.in_exchange(exchange)
    return models.Rating(
        exchange_id=item.exchange_id,
        rated_user=identity(sharer if item.rated_user_id == exchange.sharer_id else claimer, False),
        stars=int(item.stars),
        comment=item.comment,
        created_at=item.created_at,
    )


def ledger_entry(line: credits.Line) -> models.LedgerEntry:
    entry = line.entry
    return models.LedgerEntry(
        entry_id=entry.entry_id,
        amount=int(entry.amount),
        balance_after=line.balance_after,
        reason=entry.reason,
        exchange_id=entry.exchange_id,
        created_at=entry.created_at,
    )


# ---- trust and safety -------------------------------------------------------------------------


def claim_quota(group_id: str, quota: GroupQuota | None) -> models.ClaimQuota:
    return models.ClaimQuota(
        group_id=group_id,
        max_claims=quota.max_claims if quota else None,
        window_hours=quota.window_hours if quota else None,
        lift_hours=quota.lift_hours if quota else None,
    )


def _subject_id(item: ReportItem, group_id: str, shown: dict[str, identities.Identity] | None = None) -> str:
    """A reported person is named by their handle in the group (issue 16); posts and exchanges by id. `shown`:
    identities in the group already worked out (a moderation queue's), not computed again."""
    if item.subject_type == "user":
        known = shown.get(item.subject_user_id) if shown else None
        return (known or identities.of(item.subject_user_id, group_id)).handle
    return item.subject_id


def report(item: ReportItem) -> models.Report:
    """As the reporter sees it: a reported person by the handle they were shown (the report's group)."""
    return models.Report(report_id=item.report_id, subject_type=item.subject_type,
                         subject_id=_subject_id(item, item.group_ids[0]),
                         reason=item.reason, status=item.status, created_at=item.created_at)


def _member_evidence(who: models.Identity, user: UserItem | None, open_reports: int) -> models.MemberEvidence:
    """Account-wide figures in bands (domain/privacy.py): exact ones would link the member across groups."""
    received = int(user.ratings_received) if user else 0
    return models.MemberEvidence(
        member=who,
        trust_level=user.trust_level if user else None,
        score=privacy.score_band(float(user.score)) if user else None,
        exchanges_completed=privacy.count_band(int(user.completed_count)) if user else 0,
        no_shows=privacy.count_band(int(user.no_show_count)) if user else 0,
        cancellations=privacy.count_band(int(user.cancelled_count)) if user else 0,
        average_rating=privacy.rating_band(float(user.rating_stars_total) / received) if received else None,
        open_reports=open_reports,
    )


def moderation_queue(group_id: str, queue: Queue, viewer_id: str) -> models.ModerationQueue:
    """Everyone in it as their identity in this group (read with the queue): nothing links them to another group."""
    evidence = [json.loads(f.evidence) for f in queue.flags]
    found = queue.shown  # fraud rings' members (fraud.py: user ids in the evidence) included

    def who(user_id: str) -> models.Identity:
        return identity(found[user_id], user_id == viewer_id)

    def shown(e: dict) -> dict:
        if e.get("ringMembers"):
            return e | {"ringMembers": sorted(found[m].handle for m in e["ringMembers"])}
        return e

    return models.ModerationQueue(
        group_id=group_id,
        reports=[
            models.QueuedReport(
                report_id=e.report.report_id,
                subject_type=e.report.subject_type,
                subject_id=_subject_id(e.report, group_id, found),
                reason=e.report.reason,
                details=e.report.details,
                created_at=e.report.created_at,
                member=_member_evidence(who(e.report.subject_user_id), e.subject, e.open_reports_about_subject),
                reporter=models.ReporterRecord(member=who(e.report.reporter_id), upheld=e.reporter_upheld,
                                               dismissed=e.reporter_dismissed),
            )
            for e in queue.reports
        ],
        flagged=[models.MemberFlag(member=who(f.user_id), kind=f.kind, explanation=f.explanation,
                                   evidence=shown(e), created_at=f.created_at) for f, e in zip(queue.flags, evidence)],
        appeals=[models.Appeal(appeal_id=a.appeal_id, action_id=a.action_id, member=who(a.member_id),
                               statement=a.statement, status=a.status, created_at=a.created_at)
                 for a in queue.appeals],
        next_cursor=cursors.encode(queue.next_after) if queue.next_after else None,
    )


def moderator(group_id: str, member: MembershipItem, viewer_id: str) -> models.Moderator:
    who = identities.of(member.user_id, group_id, member.pseudonym)
    return models.Moderator(group_id=group_id, member=identity(who, member.user_id == viewer_id), role=member.role)


def moderation_action(item: ModerationActionItem) -> models.ModerationAction:
    return models.ModerationAction(
        action_id=item.action_id, group_id=item.group_id, action=item.action, reason=item.reason,
        report_id=item.report_id, food_id=item.food_id, until=item.until, penalty=item.penalty,
        appeal_id=item.appeal_id, appeal_status=item.appeal_status, occurred_at=item.occurred_at,
    )


def appeal_decision(item: AppealItem) -> models.AppealDecision:
    return models.AppealDecision(appeal_id=item.appeal_id, action_id=item.action_id, status=item.status)
