"""The seed on a tiny dataset, and the benchmarks' request for every catalog route being served."""

from __future__ import annotations

import pytest

from benchmarks.environment import BENCH_ENV
from benchmarks.world import World, has_sample, request_for, route_keys, to_event
from foodshare.settings import get_settings
from local.seed import Manifest, SeedSize, seed
from tests.support.api import call, invoke


def test_tiny_seed_builds_groups_members_partnerships_and_visible_posts(tmp_path):
    manifest = seed(SeedSize(groups=4, users=12, posts=10), progress=False)
    assert len(manifest.groups) == 4 and len(manifest.users) == 12 and len(manifest.posts) == 10
    for group_id, group in manifest.groups.items():
        assert all(group_id in manifest.users[m] for m in group["members"])
        reply = call("GET", f"/groups/{group_id}", user=group["admin"])
        assert reply.status == 200 and reply.body["memberCount"] == len(group["members"])
    visible = set()
    for person in manifest.users:
        visible |= {item["foodId"] for item in call("GET", "/food", user=person, query={"limit": "50"}).body["items"]}
    assert visible == set(manifest.posts)  # every post reaches its group (and partners)
    manifest.write(tmp_path / "m.json")
    assert Manifest.read(tmp_path / "m.json") == manifest


def test_seed_size_is_parsed_with_a_clear_message():
    assert SeedSize.parse("200,2000,10000") == SeedSize(200, 2000, 10000)
    with pytest.raises(ValueError, match="groups,users,posts"):
        SeedSize.parse("lots")


@pytest.fixture
def bot_secrets(monkeypatch):
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "TELEGRAM_API_BASE", "SLACK_SIGNING_SECRET",
                 "SLACK_BOT_TOKEN", "SLACK_API_BASE"):
        monkeypatch.setenv(name, BENCH_ENV[name])
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_every_catalog_route_has_a_sample_its_handler_serves(bot_secrets):
    world = World.build(posts=2)
    for key in route_keys():
        assert has_sample(key), f"add a sample request for {key} to benchmarks/world.py"
        function, event = to_event(request_for(key, world))
        status = invoke(event, function)["statusCode"]
        assert 200 <= status < 300, f"{key} answered {status}"
