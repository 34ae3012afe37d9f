"""PynamoDB models for every entity in the single table (layout in `schema.py`)."""

from __future__ import annotations

from functools import lru_cache

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.connection.base import MetaTable
from pynamodb.connection.table import TableConnection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from foodshare.data import schema
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
    schema (without the other classes' indexes) stand for the whole table.
    """
    settings = get_settings()
    return TableConnection(
        settings.table_name,
        region=settings.region,
        host=settings.dynamodb_endpoint,
        connect_timeout_seconds=2,
        read_timeout_seconds=5,
        max_retry_attempts=3,
        meta_table=MetaTable(schema.table_definition(settings.table_name)),
    )


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
    # Privacy choices (PUT /me/privacy, domain/privacy_settings.py); absent = the defaults.
    restricted = BooleanAttribute(null=True)
    leaderboard = BooleanAttribute(null=True)
    location_precision = UnicodeAttribute(null=True)
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
    """USER#<id> / CREDIT#<entryId>: one credit movement with the balance after it."""

    entry_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    amount = NumberAttribute()
    balance_after = NumberAttribute()
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


class InviteItem(Item):
    """INVITE#<code> / INVITE: a code that lets its holder join one group until it expires."""

    code = UnicodeAttribute()
    group_id = UnicodeAttribute()
    created_by = UnicodeAttribute()
    expires_at = UnicodeAttribute()
    expires_at_epoch = TTLAttribute(null=True)

    @staticmethod
    def key(code: str) -> tuple[str, str]:
        return f"INVITE#{code}", "INVITE"


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


# ---- food and exchanges ----------------------------------------------------------------


class FoodItem(Item):
    """FOOD#<id> / META: a post; indexed while available by group and by expiry hour."""

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
    available_food = AvailableFoodIndex()
    expiring_food = ExpiringFoodIndex()

    @staticmethod
    def key(food_id: str) -> tuple[str, str]:
        return f"FOOD#{food_id}", "META"

    def index_as_available(self) -> None:
        self.avail_pk = f"AVAIL#{self.group_id}"
        self.avail_sk = f"{self.pickup_end}#{self.food_id}"
        self.expiry_pk = f"EXPIRES#{self.pickup_end[:13]}"
        self.expiry_sk = f"{self.pickup_end}#{self.food_id}"


class ExchangeItem(Item):
    """EXCHANGE#<id> / META: one claim of one post and its lifecycle."""

    exchange_id = UnicodeAttribute()
    food_id = UnicodeAttribute()
    group_id = UnicodeAttribute()
    sharer_id = UnicodeAttribute()
    claimer_id = UnicodeAttribute()
    partnership_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # claimed | completed | cancelled | no_show
    sharer_confirmed = BooleanAttribute(default=False)
    claimer_confirmed = BooleanAttribute(default=False)
    pickup_start = UnicodeAttribute()
    pickup_end = UnicodeAttribute()
    claimed_at = UnicodeAttribute()
    completed_at = UnicodeAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute()

    @staticmethod
    def key(exchange_id: str) -> tuple[str, str]:
        return f"EXCHANGE#{exchange_id}", "META"


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

    @staticmethod
    def key(user_id: str, occurred_at: str, event_id: str, kind: str) -> tuple[str, str]:
        return f"USER#{user_id}", f"REPHIST#{occurred_at}#{event_id}#{kind}"


class ReputationWindowItem(Item):
    """USER#<id> / REPCAP#<kind>#<window>: how much of an impact's cap a day/week has used."""

    used = NumberAttribute(default=0)
    expires_at_epoch = TTLAttribute(null=True)

    @staticmethod
    def key(user_id: str, kind: str, window: str) -> tuple[str, str]:
        return f"USER#{user_id}", f"REPCAP#{kind}#{window}"


class GroupDayItem(Item):
    """GROUP#<id> / DAY#<yyyy-mm-dd>: a group's activity on one day (sums give "last 30 days")."""

    posts = NumberAttribute(default=0)
    completed = NumberAttribute(default=0)
    expires_at_epoch = TTLAttribute(null=True)

    @staticmethod
    def key(group_id: str, day: str) -> tuple[str, str]:
        return f"GROUP#{group_id}", f"DAY#{day}"


class GroupActivityItem(Item):
    """GROUP#<id> / ACTIVITY: all-time totals of a group's read model (ratings)."""

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
