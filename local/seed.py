"""Realistic data for the local stack, written through the domain layer: groups, people, partnerships, posts.

Used by `make seed` (`python -m local.serve --seed`) and the load test, in a process
that runs the local stack (moto lives there). Everything goes through the same domain
operations the API uses (profiles, groups, memberships, partnerships, shares), so
invariants, indexes, cache versions and events are what real use would leave. A
manifest (who is in which group, which posts exist) tells the load test whom to be.
"""

from __future__ import annotations

import json
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path

CENTRE = (52.52, 13.405)  # Berlin
SPREAD_DEGREES = 0.08  # ~9 km: most people within partnership distance
TITLES = ("Sourdough loaf", "Vegetable soup", "Apples", "Rice salad", "Yoghurt", "Bananas", "Lentil curry",
          "Bread rolls", "Tomatoes", "Pasta bake", "Cheese", "Carrot cake", "Hummus", "Potatoes", "Eggs")
TAGS = ("vegetarian", "vegan", "halal", "gluten-free", "homemade")
ALLERGENS = ("gluten", "milk", "eggs", "nuts", "soy")
DEFAULT_MANIFEST = Path(__file__).resolve().parent.parent / ".local" / "seed-manifest.json"


@dataclass(frozen=True)
class SeedSize:
    groups: int = 200
    users: int = 2000
    posts: int = 10000

    @classmethod
    def parse(cls, text: str) -> SeedSize:
        """"200,2000,10000" (groups, users, posts)."""
        try:
            groups, users, posts = (int(part) for part in text.split(","))
        except ValueError:
            raise ValueError(f"seed size must be groups,users,posts (e.g. 200,2000,10000), got {text!r}") from None
        if groups < 2 or users < groups or posts < 0:
            raise ValueError("need at least 2 groups, a user per group and no negative posts")
        return cls(groups, users, posts)


@dataclass
class Manifest:
    groups: dict[str, dict] = field(default_factory=dict)  # group id -> {"admin", "members"}
    users: dict[str, list[str]] = field(default_factory=dict)  # user id -> group ids
    posts: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def write(self, path: Path = DEFAULT_MANIFEST) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self)))

    @classmethod
    def read(cls, path: Path = DEFAULT_MANIFEST) -> Manifest:
        return cls(**json.loads(path.read_text()))


class Progress:
    """One line on stderr, redrawn: `[#####-----]  50% posts 5000/10000  1234/s`."""

    def __init__(self, total: int, enabled: bool = True, width: int = 30) -> None:
        self.total, self.enabled, self.width = max(total, 1), enabled, width
        self.done = 0
        self.started = time.perf_counter()

    def step(self, stage: str) -> None:
        self.done += 1
        if self.enabled and (self.done % 25 == 0 or self.done == self.total):
            filled = self.width * self.done // self.total
            rate = self.done / max(time.perf_counter() - self.started, 1e-9)
            sys.stderr.write(f"\r[{'#' * filled}{'-' * (self.width - filled)}] {100 * self.done // self.total:3d}% "
                             f"{stage:<13} {self.done}/{self.total}  {rate:,.0f}/s ")
            if self.done == self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()


def _near(rng: random.Random) -> tuple[float, float]:
    return (round(CENTRE[0] + rng.uniform(-SPREAD_DEGREES, SPREAD_DEGREES), 5),
            round(CENTRE[1] + rng.uniform(-SPREAD_DEGREES, SPREAD_DEGREES), 5))


def seed(size: SeedSize = SeedSize(), rng_seed: int = 42, progress: bool = True) -> Manifest:
    """Write `size` worth of data through the domain; every user is in one group, a fifth in two."""
    from foodshare import clock
    from foodshare.domain import food, groups, partnerships, users

    rng = random.Random(rng_seed)
    started = time.perf_counter()
    manifest = Manifest()
    extra_members = size.users // 5
    bar = Progress(size.users + size.users + extra_members + size.groups // 2 + size.posts, progress)
    people = [f"seed-user-{i:05d}" for i in range(size.users)]
    for person in people:
        users.update_profile(person, f"Neighbour {person[-5:]}", _near(rng))
        bar.step("people")
    for g, admin in enumerate(people[: size.groups]):
        group_id = groups.create(admin, f"Kiez {g:03d}", "Neighbours sharing food")[0].group_id
        manifest.groups[group_id] = {"admin": admin, "members": [admin]}
        manifest.users[admin] = [group_id]
        bar.step("groups")
    group_ids = list(manifest.groups)
    memberships = [(person, group_ids[i % size.groups]) for i, person in enumerate(people[size.groups:])]
    memberships += [(person, rng.choice(group_ids)) for person in rng.sample(people, extra_members)]
    for g in range(size.groups):  # the progress total counts one step per user here
        bar.step("members")
    for person, group_id in memberships:
        if group_id in manifest.users.get(person, []):
            bar.step("members")
            continue
        groups.add_member(group_id, person)
        manifest.groups[group_id]["members"].append(person)
        manifest.users.setdefault(person, []).append(group_id)
        bar.step("members")
    for a, b in zip(group_ids[0::2], group_ids[1::2]):  # neighbouring groups share with each other
        proposal = partnerships.propose(a, manifest.groups[a]["admin"], b, partnerships.Terms(15, 0, 5))
        partnerships.accept(proposal.partnership_id, manifest.groups[b]["admin"])
        bar.step("partnerships")
    for _ in range(size.posts):
        group_id = rng.choice(group_ids)
        sharer = rng.choice(manifest.groups[group_id]["members"])
        start = clock.now() + timedelta(minutes=rng.randint(30, 36 * 60))
        lat, lng = _near(rng)
        post = food.share(sharer, food.NewPost(
            group_id=group_id, title=rng.choice(TITLES), description=None, quantity=rng.randint(1, 6),
            dietary_tags=rng.sample(TAGS, rng.randint(0, 2)), allergens=rng.sample(ALLERGENS, rng.randint(0, 2)),
            lat=lat, lng=lng, label=None, pickup_start=start, pickup_end=start + timedelta(hours=rng.randint(1, 4))))
        manifest.posts.append(post.food_id)
        bar.step("posts")
    manifest.seconds = round(time.perf_counter() - started, 1)
    return manifest
