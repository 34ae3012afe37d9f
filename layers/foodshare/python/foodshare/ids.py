"""Identifiers: time-ordered ids (ULID layout) and pseudonyms that reveal nothing."""

from __future__ import annotations

import secrets
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id() -> str:
    """26-character ULID: 48-bit millisecond time + 80 random bits; sorts by creation time."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


ANONYMOUS_PREFIX = "anon-"  # an erased person's id from their erasure on (domain/erasure.py)
# Chat users' ids (bots/telegram.py, bots/slack.py): `tg:<telegramUserId>`, `slack:<teamId>:<slackUserId>`.
TELEGRAM_PREFIX, SLACK_PREFIX = "tg:", "slack:"
KEY_SEPARATOR = "#"  # between the parts of the table's keys (`USER#<id>`, `GROUP#<g>/MEMBER#<id>`)


def private_chat_key(user_id: str, address: str) -> str:
    """The key the bots give a chat user's private chat with them (`ChatRef.key`): their id with the person's part
    replaced by the chat's, `tg:<chatId>` (the same as the user id) or `slack:<team>:<channel>`."""
    return f"{user_id.rpartition(':')[0]}:{address}"


def may_sign_in(subject: str) -> bool:
    """Whether a JWT's subject may be an HTTP API caller (api/http.py). Not a chat user's id: only the webhooks, which
    check the platform's secret token or signature, act as them, and a token issuer whose subjects looked like one
    would act as that person. Not an erased person's anonymous id: their statistics and credits live under it. Nothing
    holding the table's key separator: the erasure's sweep finds and renames a person by the parts between those
    separators, so such an id would be missed by its own erasure and matched by someone else's."""
    return not subject.startswith((TELEGRAM_PREFIX, SLACK_PREFIX, ANONYMOUS_PREFIX)) and KEY_SEPARATOR not in subject


def anonymous_id() -> str:
    return f"{ANONYMOUS_PREFIX}{new_id()}"


INVITE_GROUP_SEPARATOR = "-"  # not in the alphabet: codes from before have none


def invite_code(group_id: str | None = None) -> str:
    """10 characters from an unambiguous alphabet (easy to type into a chat), after the group's id when given: the
    group is then known before the invite is read (issue 15; the id is no secret to someone invited into it)."""
    secret = "".join(secrets.choice(_CROCKFORD) for _ in range(10))
    return f"{group_id}{INVITE_GROUP_SEPARATOR}{secret}" if group_id else secret


def invite_group(code: str) -> str | None:
    """The group id an invite code names, None for a code without one (from before)."""
    group_id, separator, _ = code.rpartition(INVITE_GROUP_SEPARATOR)
    return group_id if separator and group_id else None


PARTNERSHIP_SEPARATOR = "-"  # in neither a ULID nor a group id: ids from before are one ULID


def partnership_id(from_group_id: str, to_group_id: str) -> str:
    """A new partnership's id, naming both groups (issue 15): an answer to it reads everything in one batch."""
    return PARTNERSHIP_SEPARATOR.join((from_group_id, to_group_id, new_id()))


def partnership_groups(partnership_id: str) -> tuple[str, str] | None:
    """(from, to) group ids a partnership id names; None for an id without them (from before)."""
    parts = partnership_id.split(PARTNERSHIP_SEPARATOR)
    return (parts[0], parts[1]) if len(parts) == 3 and all(parts) else None


FOOD_GROUP_SEPARATOR = "-"  # in neither a ULID nor a group id: post ids from before are one ULID
FOOD_SUFFIX_CHARS = 10  # 50 random bits: unique within a group (the post's put is conditional as well)


def food_id(group_id: str) -> str:
    """A new post's id, naming its group (issue 15): a claim then reads the post together with the claimer's
    membership and the rules' items in one batch. The suffix is short because the id travels in chat buttons:
    `report:food:<id>:<reason>` must fit Telegram's 64 bytes (bots/rendering.py, tested)."""
    suffix = "".join(secrets.choice(_CROCKFORD) for _ in range(FOOD_SUFFIX_CHARS))
    return f"{group_id}{FOOD_GROUP_SEPARATOR}{suffix}"


def food_group(food_id: str) -> str | None:
    """The group id a post's id names, None for an id without one (from before)."""
    group_id, separator, suffix = food_id.rpartition(FOOD_GROUP_SEPARATOR)
    return group_id if separator and group_id and suffix else None


_ADJECTIVES = (
    "Amber", "Brave", "Calm", "Clever", "Cosy", "Crisp", "Daring", "Eager", "Fair", "Fresh",
    "Gentle", "Golden", "Happy", "Honest", "Jolly", "Kind", "Lively", "Lucky", "Mellow", "Merry",
    "Nimble", "Noble", "Plucky", "Quiet", "Rosy", "Sunny", "Swift", "Tidy", "Warm", "Witty",
    "Zesty", "Bright",
)
_NOUNS = (
    "Apple", "Basil", "Bean", "Berry", "Carrot", "Cherry", "Chive", "Clove", "Fennel", "Fig",
    "Ginger", "Grape", "Kale", "Leek", "Lemon", "Lentil", "Mango", "Melon", "Mint", "Olive",
    "Onion", "Pea", "Peach", "Pear", "Plum", "Quince", "Radish", "Sage", "Thyme", "Turnip",
    "Walnut", "Yam",
)


ADJECTIVES, NOUNS = _ADJECTIVES, _NOUNS  # also the words of per-group pseudonyms (domain/privacy.py)


def pseudonym() -> str:
    """Random food-themed handle, e.g. "SunnyFennel4821"; uniqueness is enforced on write."""
    return f"{secrets.choice(_ADJECTIVES)}{secrets.choice(_NOUNS)}{secrets.randbelow(10000):04d}"
