"""The one-off carrying older per-rating items over to the monthly received-ratings items (ops/received_ratings.py)."""

from __future__ import annotations

from datetime import timedelta

from foodshare import clock
from foodshare.data.models import ReceivedRatingsItem, UserItem, table_connection
from foodshare.domain import fairness
from foodshare.settings import get_settings

from ops import received_ratings
from tests.support import flows
from tests.support.api import call


def _old_item(user_id: str, days_ago: float, stars: int, exchange_id: str) -> None:
    at = clock.iso(clock.now() - timedelta(days=days_ago))
    table_connection().connection.client.put_item(TableName=get_settings().table_name, Item={
        "pk": {"S": f"USER#{user_id}"}, "sk": {"S": f"RATED#{at}#{exchange_id}"},
        "stars": {"N": str(stars)}, "created_at": {"S": at}})


def test_ratings_received_before_the_months_were_kept_count_once_carried_over():
    c = flows.community()
    group = c["group"]
    UserItem(*UserItem.key("cleo")).update(actions=[UserItem.score.set(95), UserItem.trust_level.set("exemplary")])
    for days_ago, stars, exchange in ((20, 2, "ex1"), (10, 1, "ex2"), (1, 2, "ex3"), (60, 1, "ex0")):
        _old_item("cleo", days_ago, stars, exchange)
    assert call("POST", f"/food/{flows.share('sam', group)}/claims", user="cleo").status == 201  # unseen so far

    assert received_ratings.migrate() == 4
    refused = call("POST", f"/food/{flows.share('sam', group)}/claims", user="cleo")
    assert refused.status == 409 and refused.error_code == "suspended_low_ratings"

    assert received_ratings.migrate() == 4  # again: a set holds each rating once
    months = {fairness.month_key(clock.now() - timedelta(days=d)) for d in (60, 20, 10, 1)}
    kept = [ReceivedRatingsItem.get(*ReceivedRatingsItem.key("cleo", m)) for m in sorted(months)]
    assert sum(len(m.ratings) for m in kept) == 4
    assert all(m.expires_at_epoch > clock.now() + timedelta(days=44) for m in kept[-1:])
