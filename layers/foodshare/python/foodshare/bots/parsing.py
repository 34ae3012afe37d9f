"""Reading what people type in a chat: commands, pickup windows, places, tags and filters.

Every reader raises ValidationFailed naming the field, so a typo gets a helpful answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from foodshare import clock, visible_text
from foodshare.domain.discovery import MAX_RADIUS_KM
from foodshare.errors import NotFound, ValidationFailed
from foodshare.settings import get_settings

_COMMAND = re.compile(r"^/(?P<name>[A-Za-z0-9_]{1,32})(?:@(?P<bot>[A-Za-z0-9_]{3,64}))?(?:\s+(?P<args>.*))?$", re.S)
_DURATION = re.compile(r"^(?P<amount>\d{1,3})\s*(?P<unit>m|min|h)$", re.I)
_CLOCK = r"(?P<{0}>\d{{1,2}})(?::(?P<{0}m>\d{{2}}))?"
_WINDOW = re.compile(rf"^(?:{_CLOCK.format('sh')}|now)\s*[-–]\s*{_CLOCK.format('eh')}$", re.I)
_PLACE = re.compile(r"^(?P<lat>-?\d{1,2}(?:\.\d+)?)\s*,\s*(?P<lng>-?\d{1,3}(?:\.\d+)?)(?:\s+(?P<label>.+))?$", re.S)
_RADIUS = re.compile(r"^(?P<km>\d{1,3}(?:\.\d+)?)km$", re.I)
_RATING = re.compile(r"^(?P<id>[^\s:]+)(?::|\s+)(?P<stars>\S+)(?:\s+(?P<comment>.*))?$", re.DOTALL)
MAX_LABEL = 40
MAX_PLACE_LABEL = 100  # the share request's pickupLocation.label (api/requests.py)


# The API's MAX_ID_LENGTH (api/http.py): the ids it makes are short, a longer one names nothing. At most 512 bytes of
# UTF-8, so it always fits the keys DynamoDB takes (a partition key over 2048 bytes, a sort key over 1024: refused).
MAX_ID_LENGTH = 128


@dataclass(frozen=True)
class Command:
    name: str
    args: str


def command(text: str, bot_username: str | None) -> Command | None:
    """`/share soup`, `/share@FoodshareBot soup`; None for plain text or a command meant for another bot."""
    found = _COMMAND.match(text.strip())
    if not found:
        return None
    bot = found.group("bot")
    if bot and bot_username and bot.lower() != bot_username.lower():
        return None
    return Command(found.group("name").lower(), (found.group("args") or "").strip())


def subcommand(text: str) -> Command:
    """Slack's `/food share soup | …`: the first word is the command."""
    name, _, args = text.strip().partition(" ")
    return Command(name.lower() or "help", args.strip())


def object_id(text: str, what: str) -> str:
    """An id as typed or carried by a button (`/claim <foodId>`): one no item can have is not found, without a read
    (DynamoDB refuses a key that long: a 500 Telegram would redeliver) and without repeating it back."""
    value = text.strip()
    if len(value) > MAX_ID_LENGTH:
        raise NotFound(f"{what} not found.")
    return value


def window(text: str) -> tuple[datetime, datetime]:
    """`2h` / `90m` (from now), or `18:00-20:00` / `now-20:00` today in the bot's time zone (tomorrow if over)."""
    value = text.strip()
    now = clock.now()
    found = _DURATION.match(value)
    if found:
        amount = int(found.group("amount"))
        delta = timedelta(hours=amount) if found.group("unit").lower() == "h" else timedelta(minutes=amount)
        if delta <= timedelta(0):
            raise ValidationFailed("The pickup window must last a while.", fields={"pickupWindow": "empty"})
        return now, now + delta
    found = _WINDOW.match(value)
    if not found:
        raise ValidationFailed(
            "Give the pickup window as 2h, 90m, 18:00-20:00 or now-20:00.",
            fields={"pickupWindow": "not a window"},
        )
    local_now = now.astimezone(ZoneInfo(get_settings().bot_timezone))
    end = _at(local_now, found.group("eh"), found.group("ehm"))
    start = now if found.group("sh") is None else _at(local_now, found.group("sh"), found.group("shm"))
    if end <= start:
        end += timedelta(days=1)
    if end <= now:
        start, end = start + timedelta(days=1), end + timedelta(days=1)
    return start, end


def _at(local_now: datetime, hour: str, minute: str | None) -> datetime:
    h, m = int(hour), int(minute or 0)
    if h > 23 or m > 59:
        raise ValidationFailed(f"{hour}:{minute or '00'} is not a time of day.", fields={"pickupWindow": "bad time"})
    return local_now.replace(hour=h, minute=m, second=0, microsecond=0)


def place(text: str) -> tuple[float, float, str | None]:
    """`52.37,4.89 Community hall` -> (lat, lng, label)."""
    found = _PLACE.match(text.strip())
    if not found:
        raise ValidationFailed(
            "Give the pickup place as `lat,lng label`, e.g. `52.37,4.89 Community hall` (or send a location).",
            fields={"pickupLocation": "not lat,lng"},
        )
    lat, lng = float(found.group("lat")), float(found.group("lng"))
    label = (found.group("label") or "").strip()
    if len(label) > MAX_PLACE_LABEL:  # `POST /food` refuses it (pickupLocation.label): never cut what the claimer reads
        raise ValidationFailed(f"The place's name must be at most {MAX_PLACE_LABEL} characters (yours has {len(label)}).",
                               fields={"pickupLocation.label": f"at most {MAX_PLACE_LABEL} characters"})
    return coordinates(lat, lng) + (None if visible_text.blank(label) else label,)


def coordinates(lat: float, lng: float) -> tuple[float, float]:
    if not -90 <= lat <= 90 or not -180 <= lng <= 180:
        raise ValidationFailed("Those coordinates are off the map.", fields={"pickupLocation": "out of range"})
    return lat, lng


def whole_number(text: str) -> int | None:
    """A count as people type it: decimal digits of any script (`3`, `٣`, `３`), nothing else; None otherwise.

    Not `isdigit()`: it also admits superscripts and circled digits (`²`, `①`) that int() refuses.
    At most 9 digits: no count here is larger, and int() refuses text over 4300 digits."""
    value = text.strip()
    return int(value) if value.isdecimal() and len(value) <= 9 else None


def portions(text: str) -> int:
    count = whole_number(text.lower().strip().removesuffix("portions").removesuffix("portion"))
    if count is None or not 1 <= count <= 10:
        raise ValidationFailed("Portions must be a number from 1 to 10.", fields={"quantity": "1 to 10"})
    return count


@dataclass(frozen=True)
class Rating:
    exchange_id: str
    stars: int
    comment: str | None


def rating(text: str) -> Rating:
    """`<exchangeId> <1-5> [comment]` as typed, or a star button's `<exchangeId>:<n>`: only the button's
    colon separates, so a comment keeps its own ("ready at 18:30") and is stored as written, under the API's rule
    for it (`commands._rate`: RatingRequest)."""
    found = _RATING.match(text.strip())
    stars = whole_number(found.group("stars")) if found else None
    if stars is None or not 1 <= stars <= 5:
        raise ValidationFailed("Write /rate <exchangeId> <1-5> [comment].", fields={"stars": "1 to 5"})
    return Rating(found.group("id"), stars, (found.group("comment") or "").strip() or None)


def title(text: str) -> str:
    value = " ".join(text.split())
    if not 1 <= len(value) <= 100:
        raise ValidationFailed("The title must be 1 to 100 characters.", fields={"title": "1 to 100 characters"})
    if (why := visible_text.problem(value)) is not None:  # the API's rule, asked at this step, not at the last
        raise ValidationFailed(f"The title {why}.", fields={"title": why})
    return value


@dataclass(frozen=True)
class Labels:
    tags: tuple[str, ...] = ()
    allergens: tuple[str, ...] = ()


def labels(text: str) -> Labels:
    """`#vegan #halal !nuts !gluten` (or `none`): dietary tags, then allergens it contains/excludes."""
    tags: set[str] = set()
    allergens: set[str] = set()
    for word in text.lower().split():
        if word in ("none", "-", "skip"):
            continue
        if word[:1] in "#!" and 1 < len(word) <= MAX_LABEL + 1:
            (tags if word[0] == "#" else allergens).add(word[1:])
        else:
            raise ValidationFailed(
                f"`{word}` is not a label: write #tag for dietary tags and !allergen for allergens.",
                fields={"labels": word},
            )
    return Labels(tuple(sorted(tags)), tuple(sorted(allergens)))


@dataclass(frozen=True)
class BrowseFilters:
    labels: Labels
    place: tuple[float, float] | None
    radius_km: float | None


def browse_filters(text: str) -> BrowseFilters:
    """`#vegan !nuts 52.37,4.89 5km`: tags required, allergens excluded, a place and a radius."""
    label_words, place_at, radius = [], None, None
    for word in text.split():
        if _RADIUS.match(word):
            radius = float(_RADIUS.match(word).group("km"))
            if not 0 < radius <= MAX_RADIUS_KM:  # as GET /food refuses radiusKm: 0 found nothing, 500 was no radius
                raise ValidationFailed(f"The radius must be more than 0 and at most {MAX_RADIUS_KM} km.",
                                       fields={"radiusKm": f"more than 0, at most {MAX_RADIUS_KM}"})
        elif _PLACE.match(word):
            lat, lng, _ = place(word)
            place_at = (lat, lng)
        else:
            label_words.append(word)
    if radius is not None and place_at is None:
        raise ValidationFailed("A radius needs a place: `52.37,4.89 5km`.", fields={"lat": "required with a radius"})
    return BrowseFilters(labels(" ".join(label_words)), place_at, radius)


@dataclass(frozen=True)
class InviteOptions:
    max_uses: int | None
    hours: int | None


INVITE_TYPED = "/invite [uses] [hours, e.g. 48h]"
_TOO_MANY = 999_999_999  # a count typed with more digits than `whole_number` reads: refused as any other too many


def invite_options(text: str) -> InviteOptions:
    """`/invite`, `/invite 10`, `/invite 48h`, `/invite 10 48h`: how many joins it allows and for how many hours (none:
    any number, the longest lifetime). Only read here: their bounds are `POST /groups/{groupId}/invites`' own."""
    uses = hours = None
    for word in text.lower().split():
        is_hours = word.endswith("h")
        digits = word[:-1] if is_hours else word
        count = whole_number(digits)
        if count is None and digits.isdecimal() and digits.isascii():
            count = _TOO_MANY
        if count is None or (hours if is_hours else uses) is not None:
            raise ValidationFailed(f"Write {INVITE_TYPED}: e.g. /invite 10 48h for 10 joins within 48 hours.",
                                   fields={"invite": INVITE_TYPED})
        if is_hours:
            hours = count
        else:
            uses = count
    return InviteOptions(uses, hours)


def typed_invite_options(options: InviteOptions) -> str:
    """The options as `invite_options` reads them back (a group choice's button carries them)."""
    return " ".join(([str(options.max_uses)] if options.max_uses is not None else [])
                    + ([f"{options.hours}h"] if options.hours is not None else []))


@dataclass(frozen=True)
class ModerationCommand:
    action: str  # moderation_rules.ACTIONS
    target: str  # a report's id, a member's handle or a post's id, as typed (not yet checked)
    days: int | None
    reason: str | None


# The words `/mod` takes for the API's actions (moderation_rules.ACTIONS), and their own names
MODERATION_WORDS = {"dismiss": "dismiss", "warn": "warn", "remove_post": "remove_post", "restrict": "restrict",
                    "remove": "remove_member", "remove_member": "remove_member", "ban": "ban"}
MODERATION_TYPED = "/mod <dismiss|warn|remove_post|restrict|remove|ban> <reportId|handle> [days] [reason]"


def moderation_command(text: str) -> ModerationCommand:
    """`/mod ban <reportId|handle> [reason]`, `/mod restrict <reportId|handle> <days> [reason]`: the action, what it is
    about, the days of a restriction and the reason the member is told, each as typed (the reason keeps its words)."""
    word, _, rest = text.strip().partition(" ")
    action = MODERATION_WORDS.get(word.lower())
    if action is None:
        raise ValidationFailed("Write " + MODERATION_TYPED.replace("<dismiss|warn|remove_post|restrict|remove|ban>",
                                                                   "<action>")
                               + "; the actions: dismiss, warn, remove_post, restrict, remove, ban.",
                               fields={"action": "dismiss, warn, remove_post, restrict, remove or ban"})
    days_typed = " <days>" if action == "restrict" else ""
    target, _, rest = rest.strip().partition(" ")
    if not target:
        raise ValidationFailed(f"Write /mod {word.lower()} <reportId|handle>{days_typed} [reason] (/mod shows the "
                               "reports and handles).", fields={"target": "required"})
    days = None
    if action == "restrict":
        typed, _, rest = rest.strip().partition(" ")
        days = whole_number(typed)
        if days is None:
            days = _TOO_MANY if typed.isdecimal() and typed.isascii() else None
        if days is None:
            raise ValidationFailed("A restriction needs the number of days: /mod restrict <reportId|handle> <days> "
                                   "[reason].", fields={"days": "required"})
    return ModerationCommand(action, target, days, rest.strip() or None)
