"""A typed client generated from docs/openapi.json (openapi-python-client) runs the README tour."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from local.openapi import DOCUMENT


@pytest.fixture(scope="module")
def client_package(tmp_path_factory):
    out = tmp_path_factory.mktemp("client")
    bin_dir = str(Path(sys.executable).parent)
    done = subprocess.run(
        [os.path.join(bin_dir, "openapi-python-client"), "generate", "--path", str(DOCUMENT), "--meta", "none",
         "--output-path", str(out / "foodshare_client")],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout, done.stdout  # every schema became a typed model
    sys.path.insert(0, str(out))
    yield "foodshare_client"
    sys.path.remove(str(out))


def test_the_generated_client_runs_the_readme_tour(client_package, stack):
    api = importlib.import_module(f"{client_package}.api")
    models = importlib.import_module(f"{client_package}.models")
    client_module = importlib.import_module(client_package)
    for name in ("users", "groups", "posting", "discovery", "claiming", "reputation", "credits_"):
        importlib.import_module(f"{client_package}.api.{name}")
    users, groups, posting = api.users, api.groups, api.posting
    discovery, claiming, reputation, credits = api.discovery, api.claiming, api.reputation, api.credits_
    for module in ("put_me", "get_me"):
        importlib.import_module(f"{client_package}.api.users.{module}")
    for module in ("create_group", "create_invite", "join_group"):
        importlib.import_module(f"{client_package}.api.groups.{module}")
    importlib.import_module(f"{client_package}.api.posting.share_food")
    importlib.import_module(f"{client_package}.api.discovery.discover_food")
    for module in ("claim_food", "confirm_pickup"):
        importlib.import_module(f"{client_package}.api.claiming.{module}")
    for module in ("rate_exchange", "get_reputation"):
        importlib.import_module(f"{client_package}.api.reputation.{module}")
    importlib.import_module(f"{client_package}.api.credits_.get_credits")

    suffix = datetime.now().strftime("%H%M%S%f")
    sam_id, cleo_id = f"sam-{suffix}", f"cleo-{suffix}"
    import httpx

    wait = httpx.Timeout(60.0)  # a first call may wait for a cold worker of the served stack
    sam = client_module.AuthenticatedClient(base_url=stack.base_url, token=stack.token_for(sam_id), timeout=wait)
    cleo = client_module.AuthenticatedClient(base_url=stack.base_url, token=stack.token_for(cleo_id), timeout=wait)
    berlin = models.Location(lat=52.52, lng=13.405)

    profile = users.put_me.sync(client=sam, body=models.ProfileRequest(display_name="Sam", location=berlin))
    assert isinstance(profile, models.Profile) and profile.pseudonym
    assert isinstance(users.put_me.sync(client=cleo, body=models.ProfileRequest(display_name="Cleo", location=berlin)),
                      models.Profile)
    group = groups.create_group.sync(client=sam, body=models.CreateGroupRequest(name="Kiez Kitchen"))
    assert isinstance(group, models.Group) and group.role == "admin"
    invite = groups.create_invite.sync(group.group_id, client=sam)
    assert isinstance(invite, models.Invite)
    joined = groups.join_group.sync(client=cleo, body=models.JoinGroupRequest(invite_code=invite.invite_code))
    assert isinstance(joined, models.Group) and joined.member_count == 2

    start = datetime.now(timezone.utc) + timedelta(hours=1)
    post = posting.share_food.sync(client=sam, body=models.ShareFoodRequest(
        group_id=group.group_id, title="Sourdough", quantity=2,
        pickup_location=models.PickupLocation(lat=52.52, lng=13.405, label="Bakery door"),
        pickup_start=start, pickup_end=start + timedelta(hours=2)))
    assert isinstance(post, models.Food) and post.status == "available"
    page = discovery.discover_food.sync(client=cleo, lat=52.52, lng=13.405)
    assert isinstance(page, models.DiscoveryPage)
    assert [item.food_id for item in page.items] == [post.food_id]
    shown = page.items[0]  # someone else's post: its area (~2 km, no label), the distance to that area
    assert shown.pickup_location.precision.value == "area" and shown.pickup_location.label is None
    assert 0 < shown.distance_km < 3.5 and shown.sharer.mine is False

    exchange = claiming.claim_food.sync(post.food_id, client=cleo)
    assert isinstance(exchange, models.Exchange) and exchange.status == "claimed"
    again = claiming.claim_food.sync(post.food_id, client=cleo)
    assert again.error.code.value in ("already_claimed", "not_available")  # a typed error, with its code enum
    claiming.confirm_pickup.sync(exchange.exchange_id, client=cleo)
    done = claiming.confirm_pickup.sync(exchange.exchange_id, client=sam)
    assert isinstance(done, models.Exchange) and done.status == "completed"

    for rater in (sam, cleo):
        rating = reputation.rate_exchange.sync(exchange.exchange_id, client=rater,
                                               body=models.RatingRequest(stars=5, comment="Lovely"))
        assert isinstance(rating, models.Rating) and rating.stars == 5
    own = reputation.get_reputation.sync(sam_id, client=sam)
    assert isinstance(own, models.Reputation) and own.counts.food_shared >= 1
    seen = reputation.get_reputation.sync(rating.rated_user.handle, client=cleo)  # Sam as Cleo's group knows him
    assert isinstance(seen, models.MemberReputation) and seen.pseudonym == rating.rated_user.pseudonym
    balance = credits.get_credits.sync(client=sam)
    assert isinstance(balance, models.Credits) and balance.balance == 4  # 3 welcome credits + 1 from Cleo
