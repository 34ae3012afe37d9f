"""The one-off recording bans made before API 5.3.1 on the banned person's profile (ops/banned_from.py)."""

from __future__ import annotations

from foodshare.data.models import BanItem, GroupItem, MembershipItem, UserItem

from ops import banned_from
from tests.cache.conftest import settings_env  # noqa: F401  (the fixture)
from tests.support import flows
from tests.support.api import call


def _titles(user: str) -> list[str]:
    reply = call("GET", "/food", user=user)
    assert reply.status == 200, reply
    return sorted(item["title"] for item in reply.body["items"])


def _warm(user: str) -> list[str]:
    """Read until the page comes from this container's cache."""
    from foodshare.cache import stats

    def hits() -> int:
        return sum(n for (kind, level, hit), n in stats.totals().items()
                   if kind == "discovery_page" and level == "L1" and hit)

    before = hits()
    for _ in range(3):
        titles = _titles(user)
    assert hits() > before, "discovery was not served from the cache"
    return titles


def _ban(group_id: str, member: str) -> dict:
    reply = call("POST", f"/groups/{group_id}/moderation/actions", user="sam",
                 json={"action": "ban", "memberHandle": flows.handle(member, group_id), "reason": "Harassment"})
    assert reply.status == 201, reply
    return reply.body


def _as_before(user_id: str) -> None:
    """The profile as a ban before the deploy left it: without the group."""
    UserItem.get(*UserItem.key(user_id)).update(actions=[UserItem.banned_from.remove()])


def test_an_older_ban_hides_its_groups_posts_once_recorded_and_an_overturned_one_is_not_recorded(settings_env):
    settings_env(CACHE_SETTLE_MS="0")  # discovery cached as soon as read: the pass must make it stale
    c = flows.community()
    group = c["group"]
    for name in ("olga", "ida", "ada"):
        flows.user(name)
    flows.join("ida", group, "sam")
    other = flows.group("olga", "Other")
    for name in ("cleo", "ida"):
        flows.join(name, other, "olga")
    flows.partnership("olga", other, "sam", group, maxDistanceKm=50, minReputation=0)
    flows.share("sam", group, title="Bread")
    _ban(group, "cleo")
    ida = _ban(group, "ida")
    for member in ("cleo", "ida"):
        _as_before(member)
        assert _warm(member) == ["Bread"]  # what an older ban still showed
    scanned = BanItem.get(*BanItem.key(group, "ida"))
    flows.join("ada", group, "sam")  # a second admin decides the appeal
    MembershipItem.get(*MembershipItem.key(group, "ada")).update(actions=[MembershipItem.role.set("admin")])
    GroupItem.get(*GroupItem.key(group)).update(actions=[GroupItem.admin_count.add(1)])
    appeal = call("POST", "/appeals", user="ida", json={"actionId": ida["actionId"]}).body
    assert call("POST", f"/appeals/{appeal['appealId']}/decision", user="ada",
                json={"outcome": "overturned", "reason": "Reviewed"}).status == 200
    assert banned_from.record(scanned) is False  # scanned before its overturn: not added back

    assert banned_from.migrate() == 1  # cleo's
    assert _titles("cleo") == []  # the cached view made stale too
    assert _titles("ida") == ["Bread"]
    assert UserItem.get(*UserItem.key("cleo")).banned_from == {group}
    assert banned_from.migrate() == 0  # again: nothing left to record
