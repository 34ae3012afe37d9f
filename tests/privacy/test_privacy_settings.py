"""PUT /me/privacy: restriction (processing frozen), leaderboard objection, location precision."""

from __future__ import annotations

from tests.bots.events import recorded
from tests.support import flows
from tests.support.api import call


def _titles(user: str) -> list[str]:
    reply = call("GET", "/food", user=user)
    assert reply.status == 200, reply
    return [i["title"] for i in reply.body["items"]]


def _board(group_id: str, user: str) -> list[dict]:
    reply = call("GET", f"/groups/{group_id}/leaderboard", user=user)
    assert reply.status == 200, reply
    return reply.body["leaders"]


def test_defaults_changes_and_validation():
    flows.user("sam")
    assert call("GET", "/me/privacy", user="sam").body == {"restricted": False, "leaderboard": True,
                                                           "locationPrecision": "area"}
    changed = call("PUT", "/me/privacy", user="sam", json={"leaderboard": False})
    assert changed.status == 200 and changed.body == {"restricted": False, "leaderboard": False,
                                                      "locationPrecision": "area"}
    assert call("GET", "/me/privacy", user="sam").body["leaderboard"] is False
    for body, field in (({"locationPrecision": "street"}, "locationPrecision"), ({"colour": "red"}, "colour")):
        bad = call("PUT", "/me/privacy", user="sam", json=body)
        assert bad.status == 400 and field in bad.body["error"]["fields"], bad
    assert call("GET", "/me/privacy", user="sam").body["locationPrecision"] == "area"  # nothing half-written


def test_restriction_freezes_discovery_leaderboards_profile_and_claims_until_lifted():
    c = flows.community()
    food_id = flows.share("sam", c["group"], title="Soup")
    handle = call("GET", f"/food/{food_id}", user="cleo").body["sharer"]["handle"]
    assert _titles("cleo") == ["Soup"] and len(_board(c["group"], "cleo")) == 2  # warm caches

    assert call("PUT", "/me/privacy", user="sam", json={"restricted": True}).status == 200
    assert _titles("cleo") == []
    assert [e["mine"] for e in _board(c["group"], "cleo")] == [True]
    assert call("GET", f"/users/{handle}/reputation", user="cleo").status == 404
    claim = call("POST", f"/food/{food_id}/claims", user="cleo")  # hidden from her: not found (API 5.2.4)
    assert claim.status == 404 and claim.error_code == "not_found"
    other = flows.share("cleo", c["group"], title="Bread")
    mine = call("POST", f"/food/{other}/claims", user="sam")
    assert mine.status == 403 and mine.error_code == "processing_restricted"
    assert sorted(_titles("sam")) == ["Bread", "Soup"]  # one's own posts stay visible to oneself

    assert call("PUT", "/me/privacy", user="sam", json={"restricted": False}).status == 200
    assert sorted(_titles("cleo")) == ["Bread", "Soup"]
    assert call("GET", f"/users/{handle}/reputation", user="cleo").status == 200
    assert call("POST", f"/food/{food_id}/claims", user="cleo").status == 201


def test_nobody_rates_a_person_while_they_restrict_processing():
    """Found by an audit: a rating of a restricted person was taken and processed (their score and history, their
    standing under the low-rating rule, the group's rating figures, the fraud signals) while processing of their
    data was frozen. It is refused as a rating of someone being erased is (409 `invalid_state`), nothing written;
    once the restriction is lifted, within the rating window, it is taken."""
    c = flows.community()
    exchange_id = flows.claim("cleo", flows.share("sam", c["group"], title="Soup"))
    flows.complete("sam", "cleo", exchange_id)
    assert call("PUT", "/me/privacy", user="sam", json={"restricted": True}).status == 200
    refused = call("POST", f"/exchanges/{exchange_id}/ratings", user="cleo", json={"stars": 1})
    assert refused.status == 409 and refused.error_code == "invalid_state" and "restricted" in refused.body["error"][
        "message"]
    assert recorded("RatingSubmitted") == []
    assert call("POST", f"/exchanges/{exchange_id}/ratings", user="sam", json={"stars": 5}).status == 201  # theirs
    assert call("PUT", "/me/privacy", user="sam", json={"restricted": False}).status == 200
    assert call("POST", f"/exchanges/{exchange_id}/ratings", user="cleo", json={"stars": 4}).status == 201


def test_leaderboard_objection_leaves_every_leaderboard_but_not_discovery():
    c = flows.community()
    flows.share("sam", c["group"], title="Soup")
    assert len(_board(c["group"], "cleo")) == 2
    assert call("PUT", "/me/privacy", user="sam", json={"leaderboard": False}).status == 200
    assert [e["mine"] for e in _board(c["group"], "cleo")] == [True]
    assert _titles("cleo") == ["Soup"]


def test_exact_location_precision_is_the_sharers_choice():
    c = flows.community()
    flows.share("sam", c["group"], pickupLocation={**flows.BERLIN, "label": "Door"})
    assert call("GET", "/food", user="cleo").body["items"][0]["pickupLocation"]["precision"] == "area"
    assert call("PUT", "/me/privacy", user="sam", json={"locationPrecision": "exact"}).status == 200
    shown = call("GET", "/food", user="cleo").body["items"][0]["pickupLocation"]
    assert shown == {**flows.BERLIN, "label": "Door", "precision": "exact"}


def test_only_starting_or_stopping_to_show_on_leaderboards_names_the_groups():
    """`PrivacySettingsChanged.groupIds` are the groups whose leaderboards change (their caches go stale):
    the memberships are read only then."""
    import json

    from foodshare import clock
    from foodshare.domain import personal_data

    c = flows.community()
    changes = ({"locationPrecision": "exact"}, {"leaderboard": False}, {"leaderboard": False},
               {"restricted": True}, {"leaderboard": True}, {"restricted": False})
    for body in changes:
        assert call("PUT", "/me/privacy", user="sam", json=body).status == 200
        clock.advance(1)
    details = [json.loads(i["detail"]["S"]) for i in personal_data.parallel_scan(lambda i: i["pk"]["S"].startswith("EVENTLOG#"))]
    named = [d["data"]["groupIds"] for d in sorted(details, key=lambda d: d["occurredAt"])
             if d["eventType"] == "PrivacySettingsChanged"]
    assert named == [[], [c["group"]], [], [], [c["group"]]]  # the repeated objection changed nothing


def test_a_choice_already_made_changes_nothing_and_records_nothing():
    """A PUT repeating the current choices (a client's retry, a bot's button pressed twice) answers them and writes
    nothing: no `PrivacySettingsChanged` (whose bump would empty the person's caches again), no request record."""
    from foodshare.domain import subject_requests
    from tests.bots.events import recorded

    flows.user("sam")
    for _ in range(2):
        again = call("PUT", "/me/privacy", user="sam", json={"restricted": True, "locationPrecision": "area"})
        assert again.status == 200 and again.body == {"restricted": True, "leaderboard": True,
                                                      "locationPrecision": "area"}
    assert len(recorded("PrivacySettingsChanged")) == 1
    assert [r.type for r in subject_requests.page("sam", 10, None)[0]] == ["rectification", "restriction"]  # flows.user: PUT /me


def test_leaving_the_leaderboards_reaches_a_group_joined_just_before():
    """The groups a ranking change names come from the cache of the person's groups (no memberships query when
    warm): a group joined after that cache was filled is in it (the join bumps it), and its leaderboard, cached
    with the person on it, drops them."""
    c = flows.community()
    south = flows.group("bea", "South")
    assert len(_board(c["group"], "sam")) == 2  # sam's groups cached (members-only check), the board too
    flows.join("sam", south, "bea")
    assert len(_board(south, "bea")) == 2 and len(_board(south, "sam")) == 2
    assert call("PUT", "/me/privacy", user="sam", json={"leaderboard": False}).status == 200
    assert [e["mine"] for e in _board(c["group"], "cleo")] == [True]  # cleo alone
    assert [e["mine"] for e in _board(south, "bea")] == [True]
    flows.user("tom")
    flows.join("tom", south, "bea")
    assert call("PUT", "/me/privacy", user="sam", json={"leaderboard": True}).status == 200
    assert len(_board(south, "tom")) == 3 and len(_board(c["group"], "cleo")) == 2


def test_an_erasure_starting_while_a_choice_is_made_keeps_the_account_frozen(monkeypatch):
    """The choices are written from the profile as it was read: an erasure freezing the account (`restricted`) in
    between was undone by a PUT of any other choice (the profile written back unrestricted, the person's posts back
    in discovery while their account winds down) and its records outlived a sweep already past them."""
    from foodshare.domain import erasure, privacy_settings, users
    from tests.bots.events import recorded

    flows.user("sam")
    read, started = users.ensure, []

    def erasure_starts_meanwhile(user_id, *args, **kwargs):
        user = read(user_id, *args, **kwargs)
        if not started:
            started.append(erasure.start(user_id, erasure.request(user_id)[0]))
        return user

    monkeypatch.setattr(privacy_settings.users, "ensure", erasure_starts_meanwhile)
    refused = call("PUT", "/me/privacy", user="sam", json={"leaderboard": False})
    assert refused.status == 403 and refused.error_code == "account_erased", refused
    profile = users.find("sam")
    assert profile.erasing and profile.restricted and profile.leaderboard is not False
    assert recorded("PrivacySettingsChanged") == []


def test_two_choices_made_at_once_both_hold(monkeypatch):
    """Found by a race audit: a change wrote all three choices from the profile as read, so two PUT /me/privacy at
    once, each of another choice, both answered 200 and the later undid the earlier: here an objection to the
    leaderboards (GDPR Art. 21), confirmed and recorded, was silently withdrawn by a restriction whose read came
    before it (the other way round, a restriction of processing, Art. 18, was lifted again). A change now holds only
    while the choices are as it read them: the other reads again and adds its own."""
    from foodshare.domain import privacy_settings, users

    flows.user("sam")
    read, raced = users.ensure, []

    def leaderboard_objection_meanwhile(user_id, *args, **kwargs):
        profile = read(user_id, *args, **kwargs)
        if not raced:
            raced.append(None)
            raced[0] = call("PUT", "/me/privacy", user="sam", json={"leaderboard": False})
        return profile

    monkeypatch.setattr(privacy_settings.users, "ensure", leaderboard_objection_meanwhile)
    restricted = call("PUT", "/me/privacy", user="sam", json={"restricted": True})
    assert raced[0].status == 200 and raced[0].body["leaderboard"] is False, raced
    assert restricted.status == 200, restricted
    assert restricted.body == {"restricted": True, "leaderboard": False, "locationPrecision": "area"}
    assert call("GET", "/me/privacy", user="sam").body == restricted.body
    profile = users.find("sam")
    assert (profile.restricted, profile.leaderboard) == (True, False)
