"""The announcement rules as pure decisions: what a chat's message needs, and what it says (no AWS)."""

from __future__ import annotations

from foodshare.bots.announcements import EDIT, GONE, NOTHING, REMOVED, SEND, render, state, step
from foodshare.bots.store import Announcement
from foodshare.data.models import FoodItem


def post(status: str = "available", label: str | None = "Community hall") -> FoodItem:
    return FoodItem("FOOD#F1", "META", food_id="F1", group_id="G1", sharer_id="tg:1", title="Soup", quantity=3,
                    dietary_tags=["vegan"], allergens=["celery"], pickup_lat=52.37021, pickup_lng=4.89517,
                    pickup_label=label, pickup_start="2026-12-01T17:00:00Z", pickup_end="2026-12-01T19:00:00Z",
                    status=status, created_at="2026-12-01T16:00:00Z", updated_at="2026-12-01T16:00:00Z")


def test_only_available_food_is_ever_announced():
    assert step(None, "available") == SEND
    assert step(Announcement(None, None), "available") == SEND  # a record without a message (lease only)
    for later in ("claimed", "completed", "withdrawn", "expired", "removed"):
        assert step(None, later) == NOTHING


def test_an_announced_message_is_edited_until_it_shows_the_state():
    sent = Announcement("42", "available")
    assert step(sent, "available") == NOTHING
    assert step(sent, "claimed") == EDIT
    assert step(Announcement("42", "claimed"), "available") == EDIT  # a cancelled claim: the button comes back
    assert step(Announcement("42", GONE), "claimed") == NOTHING  # the chat refused for good


def test_the_announcement_shows_no_place_neither_coordinates_nor_label():
    available = render(post(), "CalmOtter12")
    assert "Soup: 3 portions" in available.text and "Community hall" not in available.text
    assert "#vegan" in available.text and "celery" in available.text and "CalmOtter12" in available.text
    assert "52.37" not in available.text and "4.89" not in available.text and "whoever claims" in available.text
    assert [b.action for row in available.buttons for b in row] == ["claim:F1", "report:food:F1"]
    unlabelled = render(post(label=None), "CalmOtter12")
    assert "52.37" not in unlabelled.text and "whoever claims" in unlabelled.text


def test_a_post_that_moved_on_loses_its_button():
    for status, headline in (("claimed", "Claimed"), ("completed", "Picked up"), ("withdrawn", "Withdrawn"),
                             ("expired", "Expired")):
        reply = render(post(status), "CalmOtter12")
        assert headline in reply.text and "Soup" in reply.text and reply.buttons == ()
    assert "no longer available" in render(None, None).text


def test_a_post_the_groups_members_may_not_see_reads_no_longer_available_without_title_or_sharer():
    """Its sharer restricted processing, or a moderator removed it: the chat shows neither its title nor who shared
    it (`visibility.sees` for a member), as `GET /food/{foodId}` answers them as a missing post."""
    assert state(post(), sharer_restricted=True) == REMOVED and state(post("removed")) == REMOVED
    for shown in (render(post(), "CalmOtter12", sharer_restricted=True), render(post("claimed"), "CalmOtter12", True),
                  render(post("removed"), "CalmOtter12")):
        assert shown.text == "This post is no longer available." and not shown.buttons
    assert step(Announcement("42", "available"), REMOVED) == EDIT
    assert step(None, "available", may_send=False) == NOTHING  # a lifted restriction announces nothing late
