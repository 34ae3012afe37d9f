"""Credits function: the caller's balance and ledger, newest first."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from foodshare.api import cursors, models, views
from foodshare.api.contract import private
from foodshare.api.http import build_resolver, caller_id, entrypoint
from foodshare.domain import credits, users

app = build_resolver()


@app.get("/me/credits", operation_id="getCredits", summary="The caller's credit balance and ledger, newest first",
         **private(200, "pseudonym_unavailable", "concurrent_update", "account_erased"))
def get_credits(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> models.Credits:
    user = users.ensure(caller_id(app))
    entries, more = credits.ledger(user.user_id, limit, str(cursors.decode(cursor)) if cursor else None)
    return models.Credits(
        balance=int(user.credit_balance),
        held=int(user.credits_held),
        transactions=[views.ledger_entry(e) for e in entries],
        next_cursor=cursors.encode(entries[-1].entry_id) if more else None,
    )


handler = entrypoint(app)
