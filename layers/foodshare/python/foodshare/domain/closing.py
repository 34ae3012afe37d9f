"""Ending what a person has open, found through the `by_user` index: open exchanges cancelled (the claimer's credit
released, the post re-listed while its window is open), then available posts withdrawn, each through the ordinary
domain operation (its event, so counterparts are told, the chat announcement edited and credits move as always).

Two callers: the erasure ends everything of a person, in every group (domain/erasure.py); a departure ends what
the person had in the group they left or were removed from (domain/departures.py), `Scope` saying which.

Each step checks the state it changes (an exchange still claimed, a post still available as read), so a racing
claim, cancel or confirmation has one winner; the loser's `Conflict` makes the caller read again
(`reading_again`), and a redelivery finds what is left.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from foodshare.data.models import ExchangeItem, FoodItem, table_connection
from foodshare.data.transaction import UnitOfWork
from foodshare.domain import exchanges, food
from foodshare.errors import Conflict
from foodshare.settings import get_settings

# A step that conflicts (the counterpart closed the exchange between its read and its write, a claim won a post
# about to be withdrawn) reads what is open again at once, rather than the queue's retry much later.
READS = 3
PAGE_SIZE = 100  # index items a page: a departure holds one page in memory, whatever the person's history


@dataclass(frozen=True)
class Scope:
    """Which of a person's posts and claims a wind-down ends: all of them (the erasure), or those of one group made
    at or before a moment (a departure: a member back in the group since keeps what they posted or claimed after).
    The person's posts are keyed by creation time (`FoodItem.sharer_entry`), not by group, so a departure reads them
    all, a page at a time, and keeps its group's."""

    group_id: str | None = None
    until: str | None = None  # ISO moment (second precision: one in the departure's second counts as before it)

    def holds(self, item: dict, moment: str) -> bool:
        """Whether an index item (a post, or a claim with its `moment` attribute) is in scope. An exchange's entry
        under its sharer (`SharerEntryItem`, sort key SHARER) is not a claim of theirs: their posts find those."""
        if item["sk"]["S"] != "META":
            return False
        if self.group_id is not None and item.get("group_id", {}).get("S") != self.group_id:
            return False
        return self.until is None or item.get(moment, {}).get("S", "") <= self.until


def pages(user_id: str, prefix: str = "", page_size: int | None = None) -> Iterator[list[dict]]:
    """The person's `by_user` index items (raw) whose sort key starts with `prefix`, a page at a time (`page_size`
    items, or DynamoDB's 1 MB)."""
    client = table_connection().connection.client
    values = {":pk": {"S": f"USER#{user_id}"}}
    condition = "by_user_pk = :pk"
    if prefix:
        condition += " AND begins_with(by_user_sk, :prefix)"
        values[":prefix"] = {"S": prefix}
    kwargs = {"TableName": get_settings().table_name, "IndexName": "by_user", "KeyConditionExpression": condition,
              "ExpressionAttributeValues": values, **({"Limit": page_size} if page_size else {})}
    while True:
        page = client.query(**kwargs)
        yield page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def open_exchanges(posts: Iterable[dict], claims: Iterable[dict]) -> list[str]:
    """The ids of the open exchanges among index items: claims still claimed, and those of posts still claimed."""
    return [i["exchange_id"]["S"] for i in claims if i["status"]["S"] == exchanges.CLAIMED] + \
        [i["exchange_id"]["S"] for i in posts if i["status"]["S"] == food.CLAIMED and "exchange_id" in i]


def cancel(exchange_ids: Iterable[str], user_id: str, cause: str | None = None, *, erasing: bool = False) -> None:
    """Cancel each exchange still claimed, as the participant `user_id` (`cause`, `erasing`: `exchanges.cancel`'s)."""
    for exchange_id in exchange_ids:
        if ExchangeItem.get(*ExchangeItem.key(exchange_id)).status == exchanges.CLAIMED:
            exchanges.cancel(exchange_id, user_id, cause=cause, erasing=erasing)  # a cancelled claim re-lists the post


def withdraw(posts: Iterable[dict], actor_id: str | None, status: str = food.WITHDRAWN, mark: bool = False) -> None:
    """Take each post still available off (to `status`, `FoodWithdrawn` with `actor_id`), read first (strongly: a
    cancel may have re-listed it a moment ago): its write holds only while it is available, so a claim racing it
    wins or loses whole (`Conflict`: the caller reads again). `mark` (a departure that keeps the exchanges): the
    exchange of each post claimed is marked (`mark_departed`)."""
    for item in posts:
        if item["status"]["S"] in (food.AVAILABLE, food.CLAIMED):  # claimed: re-listed since by a cancel
            post = FoodItem.get(*FoodItem.key(item["food_id"]["S"]), consistent_read=True)
            if post.status == food.AVAILABLE:
                food.take_down(post, status, "FoodWithdrawn", actor_id)
            elif mark and post.status == food.CLAIMED and post.exchange_id:
                mark_departed(post.exchange_id, status)


def mark_departed(exchange_id: str, status: str) -> None:
    """Mark an exchange still claimed with the status its sharer's departure gives their posts (`withdrawn`,
    `removed`): it goes on (they may finish it), but a cancel within its window then takes the post off as
    `status` instead of re-listing it (`exchange_rules.post_after_close`; the cancel's write holds only for the
    mark as it read it). One conditional write (1 write unit), no event: nothing shows until it closes. Closed
    between the post's read and this write (`Conflict`): the caller reads again, and finds the post re-listed
    (taken off then) or closed."""
    uow = UnitOfWork(allow_no_events=True)
    uow.update(ExchangeItem(*ExchangeItem.key(exchange_id)), [ExchangeItem.sharer_departed.set(status)],
               ExchangeItem.status == exchanges.CLAIMED,
               on_fail=Conflict("The exchange was closed meanwhile.", code="invalid_state"))
    uow.commit()


def reading_again(step: Callable[[], None]) -> None:
    """Run `step` (which reads what is open, then ends it) again on a `Conflict`, up to `READS` times."""
    for attempt in range(READS):
        try:
            step()
            return
        except Conflict:  # a counterpart acted meanwhile (claimed, cancelled, confirmed): read what is open again
            if attempt == READS - 1:
                raise
