"""Credits function: the caller's balance and ledger, newest first."""

from __future__ import annotations

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
    page = credits.statement(caller_id(app), limit, _page(cursor) if cursor else None)
    return models.Credits(
        balance=int(page.user.credit_balance),
        held=int(page.user.credits_held),
        transactions=[views.ledger_entry(line) for line in page.lines],
        next_cursor=cursors.encode(list(page.next_page)) if page.next_page else None,
    )


def _page(cursor: str) -> tuple[str, int | None]:
    """A cursor holds the next page's first line id and the balance after it; one from before, only the id."""
    value = cursors.decode(cursor, _a_page)
    return (value, None) if isinstance(value, str) else (value[0], value[1])


def _a_page(value: object) -> bool:
    if isinstance(value, str):
        return bool(value)
    return (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str) and bool(value[0])
            and isinstance(value[1], int) and not isinstance(value[1], bool))


handler = entrypoint(app)
