"""Credits function: the caller's balance and ledger, newest first."""

from __future__ import annotations

import re
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from foodshare import cursors
from foodshare.api import models, views
from foodshare.api.contract import private
from foodshare.api.http import build_resolver, caller_id, entrypoint
from foodshare.domain import credits

app = build_resolver()


@app.get("/me/credits", operation_id="getCredits", summary="The caller's credit balance and ledger, newest first",
         **private(200, "pseudonym_unavailable", "concurrent_update", "account_erased"))
def get_credits(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> models.Credits:
    user_id = caller_id(app)
    page = credits.statement(user_id, limit, credits.page_from_cursor(user_id, cursors.decode(cursor, _a_page))
                             if cursor else None)
    return models.Credits(
        balance=int(page.user.credit_balance),
        held=int(page.user.credits_held),
        transactions=[views.ledger_entry(line) for line in page.lines],
        next_cursor=cursors.encode(credits.page_cursor(user_id, page.next_page)) if page.next_page else None,
    )


def _a_page(value: object) -> bool:
    """A cursor holds the line the next page starts below, the balance there and their seal (`credits.page_cursor`);
    one from before the balances were derived, only the line. One of the form between (line and balance, unsealed)
    is refused: its balance cannot be vouched for."""
    if isinstance(value, str):
        return _a_line(value)
    return (isinstance(value, list) and len(value) == 3 and _a_line(value[0])
            and isinstance(value[1], int) and not isinstance(value[1], bool) and isinstance(value[2], str))


def _a_line(value: object) -> bool:
    return isinstance(value, str) and re.fullmatch(cursors.ULID, value) is not None


handler = entrypoint(app)
