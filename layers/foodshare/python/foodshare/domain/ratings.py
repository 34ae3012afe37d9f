"""Ratings: each participant rates the other once, within the rating window after completion."""

from __future__ import annotations

from datetime import timedelta

from foodshare import clock
from foodshare.data.models import BanItem, ExchangeItem, RatingItem, UserItem
from foodshare.data.transaction import UnitOfWork
from foodshare.domain import exchanges, privacy_settings, standing, users
from foodshare.errors import Conflict, Forbidden
from foodshare.ids import ANONYMOUS_PREFIX
from foodshare.settings import get_settings


def rate(exchange_id: str, user_id: str, stars: int, comment: str | None) -> RatingItem:
    return rate_exchange(exchange_id, user_id, stars, comment)[0]


def rate_exchange(exchange_id: str, user_id: str, stars: int, comment: str | None) -> tuple[RatingItem, ExchangeItem]:
    """The rating and the exchange it rates (read once: the answer shows the rated person from it)."""
    exchange = exchanges.get_for_participant(exchange_id, user_id)
    if exchange.status != exchanges.COMPLETED:
        raise Conflict("Only a completed exchange can be rated.", code="invalid_state")
    window = timedelta(days=get_settings().rating_window_days)
    if clock.now() > clock.parse_iso(exchange.completed_at) + window:
        raise Conflict("The rating window for this exchange has closed.", code="rating_window_closed")
    rated_user_id = exchange.claimer_id if user_id == exchange.sharer_id else exchange.sharer_id
    if rated_user_id.startswith(ANONYMOUS_PREFIX):  # erased: their records stay under it, rated by nobody since
        raise Conflict("The other person's account was erased: it can no longer be rated.", code="invalid_state",
                       personal=True)
    rating = RatingItem(
        *RatingItem.key(exchange_id, user_id),
        exchange_id=exchange_id,
        rater_id=user_id,
        rated_user_id=rated_user_id,
        stars=stars,
        comment=comment,
        created_at=clock.now_iso(),
    )
    uow = UnitOfWork()
    # The rater's account may still act (403 `account_erased` once DELETE /me froze it): a rating names its rater
    # (its comment, the rated person's history line, the rating graph), and one landing after the sweep would
    # name them for good.
    users.keep_acting(uow, user_id)
    uow.save(
        rating,
        RatingItem.pk.does_not_exist(),
        on_fail=Conflict("You have already rated this exchange.", code="already_rated"),
    )
    # Not banned from the exchange's group (a harasser rating their reporter): checked here, as the rating commits,
    # since the exchange's id does not name its group and a read would be a call more (2 write units instead). A
    # partner-group claimer is no member of it, so the ban record, not a membership, decides.
    uow.check(BanItem, BanItem.key(exchange.group_id, user_id), BanItem.pk.does_not_exist(), on_fail=Forbidden(
        "You were banned from this exchange's group: you can no longer rate its exchanges.", code="banned"))
    # A rating is processing of the rated person's data (their score, standing, history, the group's figures): none
    # while they restrict it (docs/privacy.md; an erasure's freeze restricts too, and its sweep must find no rating
    # landing after its scan). One check of their profile as the rating commits, no read.
    uow.check(UserItem, UserItem.key(rated_user_id), users.NOT_ERASING & privacy_settings.NOT_RESTRICTED,
              on_fail=Conflict("The other person restricted processing of their data, or their account is being "
                               "erased: they cannot be rated while that lasts.", code="invalid_state", personal=True))
    standing.record_received_rating(uow, rated_user_id, exchange_id, stars, clock.parse_iso(rating.created_at))
    uow.record(
        "RatingSubmitted",
        user_id,
        {
            "exchangeId": exchange_id,
            "groupId": exchange.group_id,
            "raterId": user_id,
            "ratedUserId": rated_user_id,
            "stars": stars,
            "hasComment": bool(comment),
        },
    )
    uow.commit()
    return rating, exchange
