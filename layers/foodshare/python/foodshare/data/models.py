"""PynamoDB models for every entity in the single table (layout in `schema.py`)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pynamodb.attributes import (
    Attribute,
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeSetAttribute,
    UnicodeAttribute,
)
from pynamodb.connection.base import MetaTable
from pynamodb.connection.table import TableConnection
from pynamodb.constants import NULL
from pynamodb.expressions.operand import Path
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from foodshare.data import responses, schema
from foodshare.settings import get_settings


def _table_meta(index_name: str | None = None) -> type:
    settings = get_settings()
    attrs: dict = {"table_name": settings.table_name, "region": settings.region}
    if settings.dynamodb_endpoint:
        attrs["host"] = settings.dynamodb_endpoint
    if index_name:
        attrs.update(index_name=index_name, projection=AllProjection())
    return type("Meta", (), attrs)


@lru_cache(maxsize=1)
def table_connection() -> TableConnection:
    """One connection (one botocore client) for every model, described with all of the table's indexes.

    PynamoDB would otherwise build a client per model class and let the first class's
    schema (without the other classes' indexes) stand for the whole table. Its session reads
    item-carrying answers without botocore's second walk over them (`responses`).
    """
    settings = get_settings()
    connection = TableConnection(
        settings.table_name,
        region=settings.region,
        host=settings.dynamodb_endpoint,
        connect_timeout_seconds=2,
        read_timeout_seconds=5,
        max_retry_attempts=3,
        meta_table=MetaTable(schema.table_definition(settings.table_name)),
    )
    # The connection's session is per thread and its client is shared: the client is made here, on the
    # session that reads answers with `responses`, whichever thread asks first.
    responses.install(connection.connection.session)
    _ = connection.connection.client
    return connection


def botocore_client(service: str, config=None):
    """Another AWS client on the table connection's botocore session: it reuses the loaded
    endpoint and credential data, which saves ~80 ms of the first call in a new container."""
    return table_connection().connection.session.create_client(service, region_name=get_settings().region,
                                                               config=config)


class Item(Model):
    """Base of every entity: the table's composite key."""

    Meta = _table_meta()
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)

    @classmethod
    def _get_connection(cls) -> TableConnection:
        return table_connection()

    @classmethod
    def from_raw_data(cls, data: dict[str, Any]) -> Any:
        """The item as PynamoDB's `from_raw_data` builds it, in about half its CPU (every read goes through here:
        a moderation queue reads ~150 items). PynamoDB applies the defaults twice and stores each value through
        its attribute's descriptor; here each attribute gets its value or default once, written straight into
        `attribute_values` where the descriptor would only do that (`_raw_plan`)."""
        if data is None:
            raise ValueError("Received no data to construct object")
        item = cls.__new__(cls)
        values: dict[str, Any] = {}
        item.attribute_values = values
        for name, dynamo_name, attribute, plain_set, default in _raw_plan(cls):
            raw = data.get(dynamo_name)
            if raw and NULL not in raw:
                value = attribute.deserialize(attribute.get_value(raw))
            elif default is None:
                continue
            else:
                value = default() if callable(default) else default
                if value is None:
                    continue
            if plain_set:
                values[name] = value
            else:
                setattr(item, name, value)
        return item


_RawPlan = tuple[tuple[str, str, Attribute, bool, Any], ...]
_raw_plans: dict[type, _RawPlan] = {}


def _raw_plan(model: type[Item]) -> _RawPlan:
    """Per attribute of `model`: (name, stored name, attribute, whether its descriptor only stores the value,
    its default), worked out once per class. `Item.from_raw_data` relies on what PynamoDB's `_instantiate`
    does for these models: no discriminator, no `__init__` of their own (checked here)."""
    plan = _raw_plans.get(model)
    if plan is None:
        if model._discriminator is not None or model.__init__ is not Model.__init__:
            raise TypeError(f"{model.__name__}: Item.from_raw_data does not build models with a discriminator "
                            "or their own __init__")
        plan = _raw_plans[model] = tuple(
            (name, attribute.attr_name, attribute, type(attribute).__set__ is Attribute.__set__, attribute.default)
            for name, attribute in model.get_attributes().items())
    return plan


# ---- indexes ---------------------------------------------------------------------------


class ByUserIndex(GlobalSecondaryIndex):
    Meta = _table_meta("by_user")
    by_user_pk = UnicodeAttribute(hash_key=True)
    by_user_sk = UnicodeAttribute(range_key=True)


class AvailableFoodIndex(GlobalSecondaryIndex):
    Meta = _table_meta("available_food")
    avail_pk = UnicodeAttribute(hash_key=True)
    avail_sk = UnicodeAttribute(range_key=True)


class ExpiringFoodIndex(GlobalSecondaryIndex):
    Meta = _table_meta("expiring_food")
    expiry_pk = UnicodeAttribute(hash_key=True)
    expiry_sk = UnicodeAttribute(range_key=True)


class OutboxIndex(GlobalSecondaryIndex):
    Meta = _table_meta("outbox")
    outbox_pk = UnicodeAttribute(hash_key=True)
    outbox_sk = UnicodeAttribute(range_key=True)


# ---- users and credits -----------------------------------------------------------------


class UserItem(Item):
    """USER#<id> / PROFILE: profile, reputation summary and credit balance."""

    user_id = UnicodeAttribute()
    display_name = UnicodeAttribute(null=True)
    pseudonym = UnicodeAttribute()
    lat = NumberAttribute(null=True)
    lng = NumberAttribute(null=True)
    score = NumberAttribute()
    trust_level = UnicodeAttribute()
    shared_count = NumberAttribute(default=0)
    completed_count = NumberAttribute(default=0)
    cancelled_count = NumberAttribute(default=0)
    no_show_count = NumberAttribute(default=0)
    ratings_received = NumberAttribute(default=0)
    rating_stars_total = NumberAttribute(default=0)
    credit_balance = NumberAttribute()
    credits_held = NumberAttribute(default=0)
    # The id of the last ledger line committed (set with every balance change; absent on profiles not changed
    # since it exists): GET /me/credits checks its page holds it (domain/credits.statement).
    ledger_head = UnicodeAttribute(null=True)
    # Privacy choices (PUT /me/privacy, domain/privacy_settings.py); absent = the defaults.
    restricted = BooleanAttribute(null=True)
    leaderboard = BooleanAttribute(null=True)
    location_precision = UnicodeAttribute(null=True)
    # Set by DELETE /me (domain/erasure.py) until the sweep moves the profile under its anonymous id: the
    # account can no longer act, and consumers treat the person as gone (nothing of theirs is written again).
    erasing = BooleanAttribute(null=True)
    # The groups they left or were removed from (a leave, `remove_member`, `ban`) and have not rejoined, in the
    # departure's transaction: a claim of their post there is refused at once, before the departure is applied
    # (the claim's transaction checks this profile; docs/trust-safety.md "Departures"). Dropped at erasure.
    departed_groups = UnicodeSetAttribute(null=True)
    # The groups that banned them (`ban`), in the ban's transaction; an overturned ban takes its group out. Read with
    # the profile where a post is shown, so a group that banned them shows them nothing (`visibility.sees`), a
    # partner group's member included. Dropped at erasure.
    banned_from = UnicodeSetAttribute(null=True)
    # The reputation consumer's bookkeeping (reputation.py): how many changes it made to this profile (each
    # conditioned on the count read), and the history lines of the last one when it committed without a
    # transaction, until they are surely written (`_Pending`).
    rep_seq = NumberAttribute(null=True)
    rep_pending = UnicodeAttribute(null=True)
    # The last data export asked for and when (domain/exports.py): another within REUSE_HOURS gets that one, not a
    # new scan of the whole table.
    last_export_id = UnicodeAttribute(null=True)
    last_export_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    @staticmethod
    def key(user_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", "PROFILE"


class ConsentItem(Item):
    """USER#<id> / CONSENT#<groupId>#<version>: the person accepted a group's disclaimer in that version, when."""

    user_id = UnicodeAttribute()
    group_id = UnicodeAttribute()
    version = NumberAttribute()
    accepted_at = UnicodeAttribute()

    @staticmethod
    def key(user_id: str, group_id: str, version: int) -> tuple[str, str]:
        return f"USER#{user_id}", f"CONSENT#{group_id}#{version}"


class DataSubjectRequestItem(Item):
    """USER#<id> / DSR#<requestId>: one data-subject request (GDPR Art. 15-21): type, when, outcome."""

    request_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    type = UnicodeAttribute()  # access | rectification | erasure | portability | restriction | objection
    requested_at = UnicodeAttribute()
    outcome = UnicodeAttribute()  # completed | pending | failed | ...
    completed_at = UnicodeAttribute(null=True)
    detail = UnicodeAttribute(null=True)  # what was done, in words without personal data

    @staticmethod
    def key(user_id: str, request_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", f"DSR#{request_id}"


class ExportItem(Item):
    """USER#<id> / EXPORT#<exportId>: one data export (GDPR Art. 15/20), its state and where its document is.

    The document is the object `object_key` in the export bucket; both go after EXPORT_DAYS
    (the bucket's lifecycle rule, this item's TTL) or at erasure."""

    export_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    status = UnicodeAttribute()  # pending | ready
    requested_at = UnicodeAttribute()
    ready_at = UnicodeAttribute(null=True)
    object_key = UnicodeAttribute(null=True)
    expires_at = UnicodeAttribute()
    expires_at_epoch = TTLAttribute(null=True)
    # The other people the document holds something of (their words, their names in a group): the erasure of any
    # of them finds this item and withdraws the document (`exports.withdrawn`).
    mentions = UnicodeSetAttribute(null=True)

    @staticmethod
    def key(user_id: str, export_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", f"EXPORT#{export_id}"


class PseudonymItem(Item):
    """PSEUDONYM#<name> / PSEUDONYM: makes pseudonyms unique across all users."""

    user_id = UnicodeAttribute()

    @staticmethod
    def key(pseudonym: str) -> tuple[str, str]:
        return f"PSEUDONYM#{pseudonym}", "PSEUDONYM"


class LedgerEntryItem(Item):
    """USER#<id> / CREDIT#<entryId>: one credit movement. The balance after it is derived on read (issue 15:
    a credit is an ADD without reading the balance); lines written before carry it as `balance_after`."""

    entry_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    amount = NumberAttribute()
    balance_after = NumberAttribute(null=True)
    reason = UnicodeAttribute()
    exchange_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()

    @staticmethod
    def key(user_id: str, entry_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", f"CREDIT#{entry_id}"


class PartnerClaimCounterItem(Item):
    """USER#<id> / PARTNERCLAIMS#<partnershipId>#<isoWeek>: claims across one partnership."""

    count = NumberAttribute(default=0)
    expires_at_epoch = TTLAttribute(null=True)

    @staticmethod
    def key(user_id: str, partnership_id: str, week: str) -> tuple[str, str]:
        return f"USER#{user_id}", f"PARTNERCLAIMS#{partnership_id}#{week}"


# ---- groups and partnerships -----------------------------------------------------------


class GroupItem(Item):
    """GROUP#<id> / META."""

    group_id = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    member_count = NumberAttribute(default=0)
    admin_count = NumberAttribute(default=0)
    disclaimer = UnicodeAttribute(null=True)  # what joining members accept (ConsentItem), in this version
    disclaimer_version = NumberAttribute(null=True)
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()

    @staticmethod
    def key(group_id: str) -> tuple[str, str]:
        return f"GROUP#{group_id}", "META"


class MembershipItem(Item):
    """GROUP#<groupId> / MEMBER#<userId>, indexed by user for "my groups"."""

    group_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    role = UnicodeAttribute()  # "admin" | "member"
    joined_at = UnicodeAttribute()
    pseudonym = UnicodeAttribute(null=True)  # per-group pseudonym (domain/privacy.py); absent on older memberships
    by_user_pk = UnicodeAttribute()
    by_user_sk = UnicodeAttribute()
    by_user = ByUserIndex()

    @staticmethod
    def key(group_id: str, user_id: str) -> tuple[str, str]:
        return f"GROUP#{group_id}", f"MEMBER#{user_id}"


class GroupPseudonymItem(Item):
    """GROUP#<groupId> / PSEUDONYM#<name>: a conditional put makes per-group pseudonyms unique in the group."""

    user_id = UnicodeAttribute()

    @staticmethod
    def key(group_id: str, pseudonym: str) -> tuple[str, str]:
        return f"GROUP#{group_id}", f"PSEUDONYM#{pseudonym}"


class HandleItem(Item):
    """HANDLE#<handle> / META: whose handle it is, and in which group (domain/identities.resolve reads it by key).

    Written where a person first appears in a group: joining (with the pseudonym's claim), a partner group's
    claim, a report. Handles are an HMAC of (user, group), so this is an index, not a secret.
    """

    user_id = UnicodeAttribute()
    group_id = UnicodeAttribute()
    # Their pseudonym there, as claimed at join: a hint that lets a write about the member skip reading their
    # membership (a condition on it checks the hint). Absent on non-members' items and on those from before.
    pseudonym = UnicodeAttribute(null=True)

    @staticmethod
    def key(handle: str) -> tuple[str, str]:
        return f"HANDLE#{handle}", "META"


class InviteItem(Item):
    """GROUP#<groupId> / INVITE#<code>: a code that lets its holder join one group until it expires, is used up,
    revoked, or its creator is no longer an admin of the group (domain/invite_rules.py). In the group's partition
    (API 5.2.0), so its admins list the group's invites in one query; a join finds it from the code, which names the
    group. Invites written before 5.2.0 are at INVITE#<code> / INVITE (`key`): still read by a join, unlisted."""

    code = UnicodeAttribute()
    group_id = UnicodeAttribute()
    created_by = UnicodeAttribute()
    expires_at = UnicodeAttribute()
    expires_at_epoch = TTLAttribute(null=True)
    created_at = UnicodeAttribute(null=True)  # absent before 5.2.0
    max_uses = NumberAttribute(null=True)  # absent: as many joins as come before it expires
    uses = NumberAttribute(null=True)  # joins through it, counted in each join's transaction (absent: none yet)
    revoked_at = UnicodeAttribute(null=True)  # set by DELETE /groups/{groupId}/invites/{code}

    @staticmethod
    def key(code: str) -> tuple[str, str]:
        """Where invites were before API 5.2.0 (codes with or without the group's id in them)."""
        return f"INVITE#{code}", "INVITE"

    @staticmethod
    def in_group(group_id: str, code: str) -> tuple[str, str]:
        return f"GROUP#{group_id}", f"INVITE#{code}"


class PartnershipTerms(MapAttribute):
    max_distance_km = NumberAttribute()
    min_reputation = NumberAttribute()
    max_claims_per_member_per_week = NumberAttribute()


class PartnershipItem(Item):
    """PARTNERSHIP#<id> / META: a proposal between two groups and its terms."""

    partnership_id = UnicodeAttribute()
    from_group_id = UnicodeAttribute()
    to_group_id = UnicodeAttribute()
    status = UnicodeAttribute()  # pending | active | declined | ended
    terms = PartnershipTerms()
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    @staticmethod
    def key(partnership_id: str) -> tuple[str, str]:
        return f"PARTNERSHIP#{partnership_id}", "META"


class PartnerLinkItem(Item):
    """GROUP#<groupId> / PARTNER#<otherGroupId>: a group's view of a partnership.

    Written for both groups in the partnership's transactions; the conditional put on
    it also stops two open partnerships between the same pair.
    """

    group_id = UnicodeAttribute()
    partner_group_id = UnicodeAttribute()
    partnership_id = UnicodeAttribute()
    status = UnicodeAttribute()
    terms = PartnershipTerms()

    @staticmethod
    def key(group_id: str, partner_group_id: str) -> tuple[str, str]:
        return f"GROUP#{group_id}", f"PARTNER#{partner_group_id}"


class PartnerSetItem(Item):
    """GROUP#<groupId> / PARTNERS: the group's active partnerships in one item.

    Kept beside the links in the same transactions (created empty with the group, rewritten
    whole when a partnership becomes or stops being active, conditioned on `version`), so
    discovery reads the partners of all of a user's groups in one BatchGetItem per 100 groups
    instead of one Query per group. `partners` is JSON: partner group id ->
    [partnershipId, maxDistanceKm, minReputation, maxClaimsPerMemberPerWeek].
    """

    partners = UnicodeAttribute(default="{}")
    version = NumberAttribute(default=0)

    @staticmethod
    def key(group_id: str) -> tuple[str, str]:
        return f"GROUP#{group_id}", "PARTNERS"


class OpenPostsItem(Item):
    """GROUP#<groupId> / OPENPOSTS: the group's board, one top-level attribute `p_<foodId>` = pickupEnd per listed post.

    Written in the same transaction as every change that lists or unlists a post (domain/food.py `on_board`), so
    discovery reads the boards of all of a user's groups in one BatchGetItem per 100 groups and then the posts
    they name, instead of one index query per group. Entries are top-level attributes because SET and REMOVE on
    them upsert (a map's key cannot be set before the map exists). `complete`: the board holds every listed post
    of its group (set when the group is created, and by `python -m ops.boards` for groups from before); a board
    without it (a live write's upsert on an older group) is not read, the index is.
    """

    complete = BooleanAttribute(null=True)
    ENTRY = "p_"

    @staticmethod
    def key(group_id: str) -> tuple[str, str]:
        return f"GROUP#{group_id}", "OPENPOSTS"

    @classmethod
    def entry(cls, food_id: str) -> Path:
        return Path([f"{cls.ENTRY}{food_id}"])

    @classmethod
    def from_raw_data(cls, data: dict) -> OpenPostsItem:
        board = super().from_raw_data(data)
        board.listed = {name.removeprefix(cls.ENTRY): value["S"] for name, value in data.items()
                        if name.startswith(cls.ENTRY)}  # food id -> pickupEnd
        return board


# ---- food and exchanges ----------------------------------------------------------------


class FoodItem(Item):
    """FOOD#<id> / META: a post; indexed while available by group, while available or claimed by expiry hour."""

    food_id = UnicodeAttribute()
    group_id = UnicodeAttribute()
    sharer_id = UnicodeAttribute()
    title = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    quantity = NumberAttribute()
    dietary_tags = ListAttribute(of=UnicodeAttribute, default=list)
    allergens = ListAttribute(of=UnicodeAttribute, default=list)
    pickup_lat = NumberAttribute()
    pickup_lng = NumberAttribute()
    pickup_label = UnicodeAttribute(null=True)
    sharer_pseudonym = UnicodeAttribute(null=True)  # the sharer's pseudonym in the post's group, at share time
    # The sharer's trust level at share time: discovery orders by it, a value that never changes, so a listing's
    # pages neither skip nor repeat a post when the sharer's level moves between them (None: shared before it).
    sharer_trust_level = UnicodeAttribute(null=True)
    pickup_start = UnicodeAttribute()
    pickup_end = UnicodeAttribute()
    status = UnicodeAttribute()  # available | claimed | completed | withdrawn | expired
    exchange_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    avail_pk = UnicodeAttribute(null=True)
    avail_sk = UnicodeAttribute(null=True)
    expiry_pk = UnicodeAttribute(null=True)
    expiry_sk = UnicodeAttribute(null=True)
    # The sharer's posts: by_user USER#<sharer> / FOOD#<createdAt>#<foodId> (`sharer_entry`), newest last: erasure
    # winds them down without a scan, GET /me/food pages them newest first. (Before GET /me/food: FOOD#<foodId>,
    # which sorts by group, not time; `python -m ops.by_user` rewrites those.)
    by_user_pk = UnicodeAttribute(null=True)
    by_user_sk = UnicodeAttribute(null=True)
    available_food = AvailableFoodIndex()
    expiring_food = ExpiringFoodIndex()
    by_user = ByUserIndex()

    @staticmethod
    def key(food_id: str) -> tuple[str, str]:
        return f"FOOD#{food_id}", "META"

    @staticmethod
    def sharer_entry(created_at: str, food_id: str) -> str:
        """The post's `by_user` sort key under its sharer: by creation time (second precision), then id."""
        return f"FOOD#{created_at}#{food_id}"

    def index_as_available(self) -> None:
        for name, value in self.available_index(self.group_id, self.food_id, self.pickup_end).items():
            setattr(self, name, value)

    @staticmethod
    def available_index(group_id: str, food_id: str, pickup_end: str) -> dict[str, str]:
        """The index attributes of an available post (by group, by expiry hour), by attribute name."""
        return {"avail_pk": f"AVAIL#{group_id}", "avail_sk": f"{pickup_end}#{food_id}",
                "expiry_pk": f"EXPIRES#{pickup_end[:13]}", "expiry_sk": f"{pickup_end}#{food_id}"}


class ExchangeItem(Item):
    """EXCHANGE#<id> / META: one claim of one post and its lifecycle."""

    exchange_id = UnicodeAttribute()
    food_id = UnicodeAttribute()
    group_id = UnicodeAttribute()
    sharer_id = UnicodeAttribute()
    claimer_id = UnicodeAttribute()
    # Each party's pseudonym in the group, at claim time (older exchanges: absent, read from the memberships).
    sharer_pseudonym = UnicodeAttribute(null=True)
    claimer_pseudonym = UnicodeAttribute(null=True)
    partnership_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # claimed | completed | cancelled | no_show | lapsed
    sharer_confirmed = BooleanAttribute(default=False)
    claimer_confirmed = BooleanAttribute(default=False)
    # Set by the sharer's departure from the group while the exchange is open (domain/departures.py): the status
    # it gave their posts there (`withdrawn` after a leave, `removed` after a removal or ban). A cancel then takes
    # the post off as that instead of re-listing it (`exchange_rules.post_after_close`).
    sharer_departed = UnicodeAttribute(null=True)
    # Closed by the settlement job, not by a participant (completed on one confirmation, or lapsed).
    auto_settled = BooleanAttribute(null=True)
    pickup_start = UnicodeAttribute()
    pickup_end = UnicodeAttribute()
    claimed_at = UnicodeAttribute()
    completed_at = UnicodeAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute()
    # The claimer's exchanges: by_user USER#<claimer> / EXCHANGE#<exchangeId> (the sharer's entry is
    # `SharerEntryItem`); erasure cancels the open ones without a scan.
    by_user_pk = UnicodeAttribute(null=True)
    by_user_sk = UnicodeAttribute(null=True)
    by_user = ByUserIndex()

    @staticmethod
    def key(exchange_id: str) -> tuple[str, str]:
        return f"EXCHANGE#{exchange_id}", "META"


class SharerEntryItem(Item):
    """EXCHANGE#<id> / SHARER: the exchange's `by_user` entry under its sharer (USER#<sharer> / EXCHANGE#<id>), beside
    the claimer's on the exchange itself, so one query pages a person's exchanges on both sides, newest first (the
    ids sort by claim time; GET /me/exchanges). Written with the claim, never changed; it holds no status (the
    exchange is read by key) but the post's id, read beside the exchange. Erasure's wind-down finds the sharer's
    open exchanges through their posts and skips these; the sweep renames the entry like any mention. Exchanges
    claimed before it have none until `python -m ops.by_user` adds them."""

    exchange_id = UnicodeAttribute()
    food_id = UnicodeAttribute()
    by_user_pk = UnicodeAttribute()
    by_user_sk = UnicodeAttribute()
    by_user = ByUserIndex()

    @staticmethod
    def key(exchange_id: str) -> tuple[str, str]:
        return f"EXCHANGE#{exchange_id}", "SHARER"


class RatingItem(Item):
    """EXCHANGE#<id> / RATING#<raterId>: one participant's rating of the other."""

    exchange_id = UnicodeAttribute()
    rater_id = UnicodeAttribute()
    rated_user_id = UnicodeAttribute()
    stars = NumberAttribute()
    comment = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()

    @staticmethod
    def key(exchange_id: str, rater_id: str) -> tuple[str, str]:
        return f"EXCHANGE#{exchange_id}", f"RATING#{rater_id}"


# ---- events ----------------------------------------------------------------------------


class EventItem(Item):
    """EVENTLOG#<day>#<shard> / <eventId>: the event store, and the outbox while unpublished."""

    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    source = UnicodeAttribute()
    occurred_at = UnicodeAttribute()
    actor_id = UnicodeAttribute(null=True)
    detail = UnicodeAttribute()  # JSON of DomainEvent.envelope()
    published_at = UnicodeAttribute(null=True)
    outbox_pk = UnicodeAttribute(null=True)
    outbox_sk = UnicodeAttribute(null=True)
    outbox = OutboxIndex()

    @staticmethod
    def key(event_id: str, occurred_at: str) -> tuple[str, str]:
        shard = int(event_id[-4:], 36) % schema.EVENT_LOG_SHARDS
        return f"EVENTLOG#{occurred_at[:10]}#{shard}", event_id


# ---- event consumers: processed markers, reputation history, group read models -----------


class ConsumedItem(Item):
    """CONSUMED#<consumer>#<eventId> / CONSUMED: written with a consumer's effect, so it applies once."""

    consumer = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()

    @staticmethod
    def key(consumer: str, event_id: str) -> tuple[str, str]:
        return f"CONSUMED#{consumer}#{event_id}", "CONSUMED"


class ReputationHistoryItem(Item):
    """USER#<id> / REPHIST#<occurredAt>#<eventId>#<kind>: one impact on a user's score and why."""

    user_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    kind = UnicodeAttribute()
    points = NumberAttribute()  # the rule's nominal impact
    applied = NumberAttribute()  # what the score really moved by (after caps and bounds)
    previous_score = NumberAttribute()
    new_score = NumberAttribute()
    reason = UnicodeAttribute()
    occurred_at = UnicodeAttribute()
    source_user_id = UnicodeAttribute(null=True)  # who caused it, for ratings: the rater (rating rings)
    stars = NumberAttribute(null=True)  # a rating's (API 5.2.3 on): what taking it back takes out of the counts
    # A rating's group (the exchange's, API 5.4.0 on): whose rating totals (GROUP#<id>/ACTIVITY) taking it back
    # takes it out of; lines from before read it from their RatingSubmitted in the event store.
    group_id = UnicodeAttribute(null=True)
    # The event that took this impact back (an overturned penalty, a rating ring): it no longer counts
    # towards its cap window, whose use is the sum of the window's lines (the REPCAP# window items of
    # before are no longer written; ops/reversed_history.py marks the lines reversed before that).
    reversed_by = UnicodeAttribute(null=True)

    @staticmethod
    def key(user_id: str, occurred_at: str, event_id: str, kind: str) -> tuple[str, str]:
        return f"USER#{user_id}", f"REPHIST#{occurred_at}#{event_id}#{kind}"


class GroupDayItem(Item):
    """GROUP#<id> / DAY#<yyyy-mm-dd>: a group's activity on one day (sums give "last 30 days")."""

    posts = NumberAttribute(default=0)
    completed = NumberAttribute(default=0)
    expires_at_epoch = TTLAttribute(null=True)

    @staticmethod
    def key(group_id: str, day: str) -> tuple[str, str]:
        return f"GROUP#{group_id}", f"DAY#{day}"


class GroupActivityItem(Item):
    """GROUP#<id> / ACTIVITY: all-time rating totals of a group (its summary's average), kept by the reputation
    consumer with the rating lines they count: a rating ring's reversal takes them out in the same transaction."""

    ratings_count = NumberAttribute(default=0)
    rating_stars_total = NumberAttribute(default=0)

    @staticmethod
    def key(group_id: str) -> tuple[str, str]:
        return f"GROUP#{group_id}", "ACTIVITY"


class ActiveMemberItem(Item):
    """GROUP#<id> / ACTIVE#<userId>: when a member last shared or picked up food in the group."""

    user_id = UnicodeAttribute()
    last_active_at = UnicodeAttribute()

    @staticmethod
    def key(group_id: str, user_id: str) -> tuple[str, str]:
        return f"GROUP#{group_id}", f"ACTIVE#{user_id}"


# ---- chat bots: chat links, private contacts, guided flows, notices, announcements -------


class ChatLinkItem(Item):
    """CHAT#<chatKey> / GROUP: which Foodshare group a group chat or channel stands for."""

    group_id = UnicodeAttribute()
    platform = UnicodeAttribute()
    address = UnicodeAttribute()

    @staticmethod
    def key(chat_key: str) -> tuple[str, str]:
        return f"CHAT#{chat_key}", "GROUP"


class GroupChatItem(Item):
    """GROUP#<groupId> / CHAT#<chatKey>: where a group's announcements and notices go (reverse link)."""

    platform = UnicodeAttribute()
    address = UnicodeAttribute()
    # An id made when the chat was linked (or the bot came back to it): it takes the announcements of events with
    # later ids (ids sort by creation, to the millisecond), whichever delivery brings them. None: linked before
    # this was kept (it takes every event).
    linked_since = UnicodeAttribute(null=True)

    @staticmethod
    def key(group_id: str, chat_key: str) -> tuple[str, str]:
        return f"GROUP#{group_id}", f"CHAT#{chat_key}"


class ContactItem(Item):
    """USER#<userId> / CONTACT#<platform>: the user's private chat with the bot."""

    address = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    @staticmethod
    def key(user_id: str, platform: str) -> tuple[str, str]:
        return f"USER#{user_id}", f"CONTACT#{platform}"


class ConversationItem(Item):
    """CONVO#<chatKey>#<userId> / SHARE: the guided /share flow's state (expires)."""

    step = UnicodeAttribute()
    draft = UnicodeAttribute()  # JSON of the answers so far
    version = NumberAttribute()
    expires_at_epoch = TTLAttribute()

    @staticmethod
    def key(chat_key: str, user_id: str) -> tuple[str, str]:
        return f"CONVO#{chat_key}#{user_id}", "SHARE"


class NoticeItem(Item):
    """NOTICE#<eventId> / TO#<userId>: a notification's sent-marker."""

    status = UnicodeAttribute()  # sending | sent | undeliverable
    lease_until = NumberAttribute()  # epoch seconds; a "sending" marker past it may be taken over
    expires_at_epoch = TTLAttribute()

    @staticmethod
    def key(event_id: str, user_id: str) -> tuple[str, str]:
        return f"NOTICE#{event_id}", f"TO#{user_id}"


class AnnouncementItem(Item):
    """FOOD#<foodId> / ANNOUNCE#<chatKey>: a post's announcement in one group chat, to edit as the post changes.

    Whoever calls the chat's API for it holds `lease_until`, so one message is sent and
    edits never cross; `shown` is the post state the message shows now.
    """

    platform = UnicodeAttribute()
    address = UnicodeAttribute()  # the chat as its API names it
    message_id = UnicodeAttribute(null=True)  # Telegram message_id, Slack ts; None until sent
    shown = UnicodeAttribute(null=True)  # the rendered state; "gone" when the chat can no longer be edited
    lease_until = NumberAttribute(default=0)  # epoch ms
    lease_owner = UnicodeAttribute(null=True)
    expires_at_epoch = TTLAttribute()

    @staticmethod
    def key(food_id: str, chat_key: str) -> tuple[str, str]:
        return f"FOOD#{food_id}", f"ANNOUNCE#{chat_key}"


# ---- applied requests: a redelivered request finds its write done ------------------------


class AppliedRequestItem(Item):
    """REQUEST#<requestKey> / APPLIED: put (if absent) in the same transaction as the write a request asked for.

    A platform that redelivers (Telegram, until it gets a 200) then cannot apply the
    same request twice, even if the first run died before its idempotency record.
    """

    result_id = UnicodeAttribute()  # what the first run created (e.g. the food id)
    expires_at_epoch = TTLAttribute()

    @staticmethod
    def key(request_key: str) -> tuple[str, str]:
        return f"REQUEST#{request_key}", "APPLIED"


# ---- fairness rules (domain/fairness.py, domain/standing.py) -------------------------------


class JobMarkItem(Item):
    """JOB#<loop> / MARK: how far a loop of the `food_expiry` job got (`expiry`, `settlement`): what it looks for
    that ended by `until` was handled by a run that finished its share (domain/sweep_rules.py says what a run reads)."""

    until = UnicodeAttribute()

    @staticmethod
    def key(loop: str) -> tuple[str, str]:
        return f"JOB#{loop}", "MARK"


class DailySpendItem(Item):
    """USER#<id> / SPENT#<yyyy-mm-dd>: credits spent on claims that UTC day; `count < limit` is the condition."""

    count = NumberAttribute(default=0)
    expires_at_epoch = TTLAttribute(null=True)

    @staticmethod
    def key(user_id: str, day: str) -> tuple[str, str]:
        return f"USER#{user_id}", f"SPENT#{day}"


class ReceivedRatingsItem(Item):
    """USER#<ratedId> / RATED#<yyyy-mm>: the stars a user received in one UTC month, for the low-rating rule.

    One entry per rating, `<createdAt>|<stars>|<exchangeId>`, added to the set in the rating's own
    transaction (an ADD: no read, racing ratings both land, a repeat is a no-op); the rule reads the
    few months it looks back over by key, in the claim's or post's one batch (and, only when it would
    suspend, the low ratings' exchanges, whose other participant is the rater). Expires once no rule
    looks back that far.
    """

    ratings = UnicodeSetAttribute(null=True)
    expires_at_epoch = TTLAttribute(null=True)

    @staticmethod
    def key(user_id: str, month: str) -> tuple[str, str]:
        return f"USER#{user_id}", f"RATED#{month}"

    @staticmethod
    def entry(created_at: str, stars: int, exchange_id: str) -> str:
        return f"{created_at}|{stars}|{exchange_id}"

    def entries(self) -> list[tuple[str, int, str]]:
        """(created at, stars, exchange id) of each entry. The rater is the exchange's other participant: not kept
        here, so the item names nobody but its owner (docs/privacy.md, "Received ratings")."""
        return [(at, int(stars), exchange_id) for at, stars, exchange_id in (e.split("|", 2) for e in self.ratings or ())]


class GroupClaimQuotaItem(Item):
    """GROUP#<id> / CLAIMQUOTA: the group's own claim quota, set by its admins."""

    max_claims = NumberAttribute()
    window_hours = NumberAttribute()
    lift_hours = NumberAttribute()
    updated_by = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    @staticmethod
    def key(group_id: str) -> tuple[str, str]:
        return f"GROUP#{group_id}", "CLAIMQUOTA"


class QuotaSlotItem(Item):
    """GROUP#<id> / QUOTA#<userId>#<slot>: when the member's claim in this slot leaves the rolling window."""

    until = UnicodeAttribute()
    expires_at_epoch = TTLAttribute(null=True)

    @staticmethod
    def key(group_id: str, user_id: str, slot: int) -> tuple[str, str]:
        return f"GROUP#{group_id}", f"QUOTA#{user_id}#{slot:03d}"


# ---- reports and moderation (domain/reports.py, domain/moderation.py) ----------------------


class ReportItem(Item):
    """REPORT#<id> / META: a member's report about a user, a post or an exchange."""

    report_id = UnicodeAttribute()
    reporter_id = UnicodeAttribute()
    subject_type = UnicodeAttribute()  # user | food | exchange
    subject_id = UnicodeAttribute()
    subject_user_id = UnicodeAttribute()  # whom the report is about (the sharer of a post, the other participant)
    reason = UnicodeAttribute()
    details = UnicodeAttribute(null=True)
    group_ids = ListAttribute(of=UnicodeAttribute)  # whose moderators see it
    status = UnicodeAttribute()  # open | upheld | dismissed
    created_at = UnicodeAttribute()
    resolved_at = UnicodeAttribute(null=True)
    resolved_by = UnicodeAttribute(null=True)

    @staticmethod
    def key(report_id: str) -> tuple[str, str]:
        return f"REPORT#{report_id}", "META"


class OpenReportItem(Item):
    """GROUP#<id> / OPENREPORT#<reportId>: an open report in a group's moderation queue (deleted on resolution).

    With the report's reporter and subject (never changing), so the queue reads their evidence beside the report;
    an entry written before they were kept has neither (the queue then reads them after the report)."""

    report_id = UnicodeAttribute()
    reporter_id = UnicodeAttribute(null=True)
    subject_user_id = UnicodeAttribute(null=True)

    @staticmethod
    def key(group_id: str, report_id: str) -> tuple[str, str]:
        return f"GROUP#{group_id}", f"OPENREPORT#{report_id}"


class ReportLockItem(Item):
    """USER#<reporterId> / REPORTING#<subjectType>#<subjectId>: one open report per reporter and subject."""

    report_id = UnicodeAttribute()

    @staticmethod
    def key(reporter_id: str, subject_type: str, subject_id: str) -> tuple[str, str]:
        return f"USER#{reporter_id}", f"REPORTING#{subject_type}#{subject_id}"


class ReporterRecordItem(Item):
    """GROUP#<id> / REPORTER#<userId>: how a reporter's reports in a group were decided."""

    upheld = NumberAttribute(default=0)
    dismissed = NumberAttribute(default=0)

    @staticmethod
    def key(group_id: str, user_id: str) -> tuple[str, str]:
        return f"GROUP#{group_id}", f"REPORTER#{user_id}"


class FlagItem(Item):
    """GROUP#<id> / OPENFLAG#<userId>#<kind>: a member flagged to the group's moderators, with why in words.

    In the moderation queue's `OPEN` range with the open reports and appeals (one query reads the queue);
    flags written before were `FLAG#<userId>#<kind>` (`python -m ops.flags` moves them)."""

    user_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # unfounded_reports | a fraud pattern
    explanation = UnicodeAttribute()
    evidence = UnicodeAttribute()  # JSON: the numbers behind the explanation
    created_at = UnicodeAttribute()

    @staticmethod
    def key(group_id: str, user_id: str, kind: str) -> tuple[str, str]:
        return f"GROUP#{group_id}", f"OPENFLAG#{user_id}#{kind}"


class ModerationActionItem(Item):
    """USER#<memberId> / MODACTION#<actionId>: a moderation action taken about a member, appealable once."""

    action_id = UnicodeAttribute()
    group_id = UnicodeAttribute()
    member_id = UnicodeAttribute()
    moderator_id = UnicodeAttribute()
    action = UnicodeAttribute()
    reason = UnicodeAttribute()
    report_id = UnicodeAttribute(null=True)
    food_id = UnicodeAttribute(null=True)
    penalty = UnicodeAttribute(null=True)  # the reputation impact kind an upheld report applied
    until = UnicodeAttribute(null=True)  # end of a restriction
    event_id = UnicodeAttribute()
    occurred_at = UnicodeAttribute()
    appeal_id = UnicodeAttribute(null=True)
    appeal_status = UnicodeAttribute(null=True)  # open | upheld | overturned

    @staticmethod
    def key(member_id: str, action_id: str) -> tuple[str, str]:
        return f"USER#{member_id}", f"MODACTION#{action_id}"


class AppealItem(Item):
    """APPEAL#<id> / META: a member's one appeal against an action, decided by another admin."""

    appeal_id = UnicodeAttribute()
    action_id = UnicodeAttribute()
    group_id = UnicodeAttribute()
    member_id = UnicodeAttribute()
    moderator_id = UnicodeAttribute()
    statement = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # open | upheld | overturned
    created_at = UnicodeAttribute()
    decided_by = UnicodeAttribute(null=True)
    decision_reason = UnicodeAttribute(null=True)
    # The action as its decision needs it (its kind, penalty, event and report), copied when the appeal is filed:
    # deciding reads no action (domain/moderation.decide). Absent on appeals from before (the action is read).
    action = UnicodeAttribute(null=True)
    penalty = UnicodeAttribute(null=True)
    action_event_id = UnicodeAttribute(null=True)
    action_occurred_at = UnicodeAttribute(null=True)
    report_id = UnicodeAttribute(null=True)

    @staticmethod
    def key(appeal_id: str) -> tuple[str, str]:
        return f"APPEAL#{appeal_id}", "META"


class OpenAppealItem(Item):
    """GROUP#<id> / OPENAPPEAL#<appealId>: an undecided appeal in the group's moderation view; with the appellant
    (an entry from before they were kept has none: the queue reads them after the appeal)."""

    appeal_id = UnicodeAttribute()
    member_id = UnicodeAttribute(null=True)

    @staticmethod
    def key(group_id: str, appeal_id: str) -> tuple[str, str]:
        return f"GROUP#{group_id}", f"OPENAPPEAL#{appeal_id}"


class RestrictionItem(Item):
    """GROUP#<id> / RESTRICTED#<userId>: no posting or claiming in the group until `until`."""

    until = UnicodeAttribute()
    action_id = UnicodeAttribute()
    expires_at_epoch = TTLAttribute(null=True)

    @staticmethod
    def key(group_id: str, user_id: str) -> tuple[str, str]:
        return f"GROUP#{group_id}", f"RESTRICTED#{user_id}"


class BanItem(Item):
    """GROUP#<id> / BANNED#<userId>: may not join the group again (by invite or chat)."""

    action_id = UnicodeAttribute()
    created_at = UnicodeAttribute()

    @staticmethod
    def key(group_id: str, user_id: str) -> tuple[str, str]:
        return f"GROUP#{group_id}", f"BANNED#{user_id}"


# ---- fraud signals (fraud.py) ----------------------------------------------------------------


class RatingGraphItem(Item):
    """USER#<id> / GRAPH: the user's place in the rating graph, one item so a neighbourhood is one batch read.

    `inbound` (ratings received) and `outbound` (given) are JSON maps other user -> [count,
    first day, last day] (days since the epoch); pairs silent for GRAPH_KEEP_DAYS are dropped
    on the next write. `version` makes each write conditional on the read it was built from.
    """

    inbound = UnicodeAttribute(default="{}")
    outbound = UnicodeAttribute(default="{}")
    version = NumberAttribute(default=0)

    @staticmethod
    def key(user_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", "GRAPH"


class SignalDayItem(Item):
    """USER#<id> / SIGNALS#<yyyy-mm-dd>: what the fraud consumer counts for a user on one day."""

    claims = NumberAttribute(default=0)
    cancels = NumberAttribute(default=0)
    posts = NumberAttribute(default=0)
    claimed_posts = NumberAttribute(default=0)  # claims others made on the user's posts
    duplicate_posts = NumberAttribute(default=0)
    expired_posts = NumberAttribute(default=0)
    no_shows = NumberAttribute(default=0)
    unsafe_reports = NumberAttribute(default=0)
    titles = UnicodeSetAttribute(null=True)  # hashes of post titles, for duplicates
    scored = NumberAttribute(null=True)  # the highest count-based pattern score the day's last event left
    # Tags of the events counted here (fraud.event_tag): the count's own once-condition, so the fraud consumer
    # writes no processed marker. A day first written before tags (None) keeps the marker for that day.
    applied = UnicodeSetAttribute(null=True)
    expires_at_epoch = TTLAttribute(null=True)

    @staticmethod
    def key(user_id: str, day: str) -> tuple[str, str]:
        return f"USER#{user_id}", f"SIGNALS#{day}"


class RiskItem(Item):
    """USER#<id> / RISK: the four pattern scores, their explanations, and which were flagged."""

    scores = UnicodeAttribute()  # JSON pattern -> score
    evidence = UnicodeAttribute()  # JSON pattern -> explanation in words
    risk = NumberAttribute(default=0)
    flagged = UnicodeSetAttribute(null=True)
    ring_id = UnicodeAttribute(null=True)
    ring_members = UnicodeSetAttribute(null=True)
    updated_at = UnicodeAttribute()

    @staticmethod
    def key(user_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", "RISK"
