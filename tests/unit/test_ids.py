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
