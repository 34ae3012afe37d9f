"""Ids that name where their item lives (issue 15): a post's id names its group."""

from __future__ import annotations

from foodshare import ids
from foodshare.bots import rendering


def test_a_post_id_names_its_group_and_an_id_from_before_names_none():
    group_id = ids.new_id()
    food_id = ids.food_id(group_id)
    assert ids.food_group(food_id) == group_id
    assert food_id != ids.food_id(group_id)
    assert ids.food_group(ids.new_id()) is None
    assert ids.food_group(f"{ids.FOOD_GROUP_SEPARATOR}{ids.new_id()}") is None
    assert ids.food_group(f"{group_id}{ids.FOOD_GROUP_SEPARATOR}") is None


def test_every_button_naming_a_post_fits_telegrams_64_bytes():
    food_id = ids.food_id(ids.new_id())  # group ids are ULIDs
    actions = [b.action for row in rendering.claim_buttons(food_id) for b in row]
    actions += [b.action for row in rendering.reason_buttons("food", food_id) for b in row]
    assert len(actions) == 2 + len(rendering.REASON_LABELS)
    assert max(len(a.encode()) for a in actions) <= 64, max(actions, key=len)


def test_who_may_sign_in_to_the_api():
    """A JWT subject is the API caller's user id (api/http.py): never a chat user's, whom only the webhooks act as, nor
    an erased person's anonymous id, nor an id holding the table's key separator."""
    from foodshare.bots import slack, telegram

    for refused in (telegram.user_id(5), slack.user_id("T0001", "U0ANNA"), ids.anonymous_id(), "sam#CREDIT", "#"):
        assert not ids.may_sign_in(refused), refused
    for allowed in ("sam", "0f9c1e2a-7b1d-4c59-9a39-2f1b8c2b0e11", "auth0|5f7c8ec7c33c6c004bbafe82", "TG-fan",
                    "tg", "slack", "anon"):
        assert ids.may_sign_in(allowed), allowed
