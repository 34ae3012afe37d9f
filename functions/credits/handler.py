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
    # sealed: the next page's balances are derived from the balance its cursor carries (one edited, or another
    # person's, would show balances their ledger never had)
    seal = cursors.Seal(user_id, "GET /me/credits")
    page = credits.statement(user_id, limit, tuple(cursors.decode(cursor, _a_page, seal)) if cursor else None)
    return models.Credits(
        balance=int(page.user.credit_balance),
        held=int(page.user.credits_held),
        transactions=[views.ledger_entry(line) for line in page.lines],
        next_cursor=cursors.encode(list(page.next_page), seal) if page.next_page else None,
    )


def _a_page(value: object) -> bool:
    """A cursor holds the line the next page starts below and the balance there (`credits.Statement.next_page`)."""
    return (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)
            and re.fullmatch(cursors.ULID, value[0]) is not None
            and isinstance(value[1], int) and not isinstance(value[1], bool))


handler = entrypoint(app)
