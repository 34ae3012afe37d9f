"""The platform's wiring, defined once: which functions exist and which HTTP routes each serves.

The CDK stack, the local runner and the tests all read this module, so a route
cannot exist in one place and be missing in another (tests compare it with the
routes each handler's resolver really registers).
"""

from __future__ import annotations

from dataclasses import dataclass

# The chat platforms' API hosts. A function that lists a platform in `chats` calls these
# (Bot API / Web API, Slack's response_url), so the stack must give it a route to them;
# `secrets` names the bot secrets (settings.SecretRef names) it reads. The stack grants and
# passes exactly those, and tests/infra/test_egress.py checks the route from the template.
CHAT_HOSTS: dict[str, tuple[str, ...]] = {
    "telegram": ("api.telegram.org",),
    "slack": ("slack.com", "hooks.slack.com"),
}
BOT_SECRETS = ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN")


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    public: bool = False  # True: no JWT authorizer (health, signed webhooks)


@dataclass(frozen=True)
class ApiFunction:
    name: str
    routes: tuple[Route, ...]
    latency_sensitive: bool = False  # gets a provisioned-concurrency alias
    uses_cache: bool = True
    description: str = ""
    chats: tuple[str, ...] = ()  # CHAT_HOSTS keys it calls out to
    secrets: tuple[str, ...] = ()  # BOT_SECRETS it reads
    # Serves the API's own documentation, not the API: deployed only on stages whose cdk.json
    # settings say `"api_docs": true`, outside the OpenAPI document, touching no table.
    api_docs: bool = False

    @property
    def module(self) -> str:
        return f"functions.{self.name}.handler"


def _r(method: str, path: str, public: bool = False) -> Route:
    return Route(method, path, public)


API_FUNCTIONS: tuple[ApiFunction, ...] = (
    ApiFunction(
        "users",
        (_r("GET", "/health", public=True), _r("GET", "/me"), _r("PUT", "/me"),
         _r("GET", "/me/privacy"), _r("PUT", "/me/privacy"), _r("GET", "/me/requests"),
         _r("POST", "/me/erasure"), _r("DELETE", "/me"), _r("GET", "/me/erasure/{requestId}"), _r("POST", "/me/exports"),
         _r("GET", "/me/exports/{exportId}")),
        description="Profiles, pseudonyms and the health check",
    ),
    ApiFunction(
        "groups",
        (
            _r("POST", "/groups"),
            _r("GET", "/me/groups"),
            _r("GET", "/groups/{groupId}"),
            _r("POST", "/groups/{groupId}/invites"),
            _r("GET", "/groups/{groupId}/invites"),
            _r("DELETE", "/groups/{groupId}/invites/{code}"),
            _r("POST", "/groups/join"),
            _r("DELETE", "/groups/{groupId}/members/me"),
            _r("POST", "/groups/{groupId}/partnerships"),
            _r("GET", "/groups/{groupId}/partnerships"),
            _r("POST", "/partnerships/{partnershipId}/accept"),
            _r("POST", "/partnerships/{partnershipId}/decline"),
            _r("DELETE", "/partnerships/{partnershipId}"),
            _r("GET", "/groups/{groupId}/summary"),
            _r("GET", "/groups/{groupId}/leaderboard"),
        ),
        description="Groups, invites, membership, partnerships, activity summary and leaderboard",
    ),
    ApiFunction(
        "posting",
        (_r("POST", "/food"), _r("GET", "/food/{foodId}"), _r("DELETE", "/food/{foodId}"), _r("GET", "/me/food")),
        description="Sharing, reading and withdrawing food posts; the caller's own posts",
    ),
    ApiFunction(
        "discovery",
        (_r("GET", "/food"),),
        latency_sensitive=True,
        description="Discovery of visible food across own and partner groups",
    ),
    ApiFunction(
        "claiming",
        (
            _r("POST", "/food/{foodId}/claims"),
            _r("POST", "/exchanges/{exchangeId}/confirm"),
            _r("POST", "/exchanges/{exchangeId}/cancel"),
            _r("POST", "/exchanges/{exchangeId}/no-show"),
            _r("GET", "/exchanges/{exchangeId}"),
            _r("GET", "/me/exchanges"),
        ),
        latency_sensitive=True,
        description="Claims and the exchange lifecycle; the caller's exchanges",
    ),
    ApiFunction(
        "reputation",
        (_r("POST", "/exchanges/{exchangeId}/ratings"), _r("GET", "/users/{userId}/reputation")),
        description="Ratings and reputation views",
    ),
    ApiFunction(
        "credits",
        (_r("GET", "/me/credits"),),
        description="Credit balance and ledger",
    ),
    ApiFunction(
        "safety",
        (
            _r("GET", "/groups/{groupId}/claim-quota"),
            _r("PUT", "/groups/{groupId}/claim-quota"),
            _r("DELETE", "/groups/{groupId}/claim-quota"),
            _r("POST", "/reports"),
            _r("POST", "/groups/{groupId}/moderators"),
            _r("GET", "/groups/{groupId}/moderation"),
            _r("POST", "/groups/{groupId}/moderation/actions"),
            _r("GET", "/me/moderation"),
            _r("POST", "/appeals"),
            _r("POST", "/appeals/{appealId}/decision"),
        ),
        description="Trust and safety: group claim quotas, reports, moderation, appeals",
    ),
    ApiFunction(
        "telegram_webhook",
        (_r("POST", "/webhooks/telegram", public=True),),
        description="Telegram bot updates (secret-token checked)",
        chats=("telegram",),  # answerCallbackQuery
        secrets=("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET"),
    ),
    ApiFunction(
        "slack_webhook",
        (_r("POST", "/webhooks/slack", public=True),),
        description="Slack /food command and buttons (signature checked)",
        chats=("slack",),  # response_url follow-ups, views.open for the share form
        secrets=("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"),
    ),
    ApiFunction(
        "api_docs",
        (_r("GET", "/openapi.json", public=True), _r("GET", "/docs", public=True)),
        uses_cache=False,
        api_docs=True,
        description="The OpenAPI document and Swagger UI (stages with api_docs on, and the local stack)",
    ),
)


@dataclass(frozen=True)
class Consumer:
    """A function fed by its own SQS queue (with a DLQ) from the bus, by event type."""

    name: str
    event_types: tuple[str, ...]
    batch_size: int = 10
    max_batching_window_seconds: int = 1
    max_receive_count: int = 5  # receives before a message is moved to the DLQ
    visibility_timeout_seconds: int = 60
    uses_cache: bool = False  # its writes bump cache versions, so it needs Redis (and the VPC)
    description: str = ""
    chats: tuple[str, ...] = ()  # CHAT_HOSTS keys it calls out to
    secrets: tuple[str, ...] = ()  # BOT_SECRETS it reads

    @property
    def module(self) -> str:
        return f"functions.{self.name}.handler"


@dataclass(frozen=True)
class ScheduledJob:
    """A function run on a schedule (EventBridge Scheduler on AWS, a timer locally)."""

    name: str
    every_seconds: int
    uses_cache: bool = False
    description: str = ""
    chats: tuple[str, ...] = ()  # CHAT_HOSTS keys it calls out to
    secrets: tuple[str, ...] = ()  # BOT_SECRETS it reads

    @property
    def module(self) -> str:
        return f"functions.{self.name}.handler"


@dataclass(frozen=True)
class StreamRelay:
    """A function fed by the table's DynamoDB stream through a filtered event source mapping."""

    name: str
    batch_size: int = 100
    max_batching_window_seconds: int = 0  # publish at once: event -> effect p95 <= 1 s
    retry_attempts: int = 10  # a failing batch is retried (bisected), then its records' pointers are parked
    max_record_age_seconds: int = 3600  # older records are left to the sweeper (the outbox still holds them)
    timeout_seconds: int = 30
    description: str = ""
    uses_cache: bool = False  # outside the VPC: it reaches DynamoDB and EventBridge directly
    chats: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()

    @property
    def module(self) -> str:
        return f"functions.{self.name}.handler"


# The stream records the outbox relay is given (Lambda event filtering: the same pattern on AWS
# and in the local stack): items inserted with outbox keys, i.e. events as they are committed.
# The relay's own clearing rewrite is a MODIFY and never comes back to it.
OUTBOX_STREAM_FILTER = {"eventName": ["INSERT"],
                        "dynamodb": {"NewImage": {"outbox_pk": {"S": [{"prefix": "OUTBOX#"}]}}}}

# The outbox relay (with cdk.json `outbox_delivery: stream`): see foodshare.events_relay and docs/events.md.
OUTBOX_RELAY = StreamRelay(
    "outbox_relay", description="Publishes each committed event from the table's stream to the bus (schema-checked)"
)
STREAM_RELAYS: tuple[StreamRelay, ...] = (OUTBOX_RELAY,)

# Which consumer receives which event types: the CDK rules and the local runner both read this.
# No batching window on those whose effects are read right after the change (p95 < 1 s): the reputation,
# the group summary, the chat announcement; notifications and fraud signals wait up to a second for a batch.
CONSUMERS: tuple[Consumer, ...] = (
    Consumer(
        "exports",
        ("ExportRequested",),
        batch_size=1,  # one document at a time: a whole-table read each (a parallel scan on threads)
        max_batching_window_seconds=0,
        max_receive_count=3,
        # 900 s for the function: a table of millions of items takes minutes to read (docs/privacy.md)
        visibility_timeout_seconds=5400,
        description="Assembles a person's data export (GDPR access and portability) into the export bucket",
    ),
    Consumer(
        "erasure",
        # and a member's departure from one group (domain/departures.py): the same winding down, in one group
        ("ErasureStarted", "ErasureSegmentRequested", "MemberLeft", "ModerationActionTaken"),
        batch_size=1,  # one wind-down, departure or segment of the table a message: each its own invocation and retry
        max_batching_window_seconds=0,
        max_receive_count=3,
        # a segment of a large table is read in minutes: the function gets the most Lambda allows (900 s)
        visibility_timeout_seconds=5400,
        uses_cache=True,  # the last segment purges the cache of the person (Redis)
        description="Winds down an erased person's account (GDPR erasure: DELETE /me), sweeps the table for "
                    "them one segment a message, then records the erasure completed; ends a departed member's "
                    "open posts (and, removed or banned, exchanges) in that group",
    ),
    Consumer(
        "reputation_consumer",
        ("FoodShared", "ExchangeCompleted", "ExchangeCancelled", "ExchangeNoShow", "RatingSubmitted",
         "ModerationActionTaken", "AppealDecided", "FraudFlagged"),
        max_batching_window_seconds=0,
        uses_cache=True,
        description="Applies reputation impacts and caps, keeps each user's history, emits ReputationChanged and TrustLevelChanged",
    ),
    Consumer(
        "read_models",
        # (a group's rating totals: the reputation consumer's, with the rating lines they count)
        ("FoodShared", "FoodClaimed", "ExchangeCompleted"),
        max_batching_window_seconds=0,
        uses_cache=True,
        description="Keeps each group's activity summary (posts, exchanges, active members)",
    ),
    Consumer(
        "notifications",
        ("FoodClaimed", "PickupConfirmed", "ExchangeCompleted", "ExchangeCancelled", "ExchangeLapsed", "FoodExpired",
         "ModerationActionTaken", "AppealDecided",
         # the other side's admins hear of a proposal (with Accept and Decline), its answer, an end
         "PartnershipProposed", "PartnershipAccepted", "PartnershipDeclined", "PartnershipEnded"),
        max_receive_count=20,  # the limiter sends records back to wait for a slot: ~20 min before the DLQ
        uses_cache=True,  # the shared outbound limiter counts in Redis
        description="Tells people in their Telegram/Slack chat about claims, pickups, rating requests, expiry, "
                    "partnership proposals and answers",
        chats=("telegram", "slack"),  # sendMessage, chat.postMessage
        secrets=("TELEGRAM_BOT_TOKEN", "SLACK_BOT_TOKEN"),
    ),
    Consumer(
        "announcements",
        ("FoodShared", "FoodClaimed", "ExchangeCancelled", "ExchangeCompleted", "ExchangeLapsed", "FoodWithdrawn",
         "FoodExpired", "PrivacySettingsChanged", "ErasureStarted"),  # a restriction (an erasure's freeze too) takes
        # the person's posts out of the chats
        batch_size=5,  # at ~1 message a second per chat, a batch fits the function's 10 s
        max_batching_window_seconds=0,
        max_receive_count=20,  # the limiter sends records back to wait for a slot: ~20 min before the DLQ
        uses_cache=True,  # the shared outbound limiter counts in Redis
        description="Announces food in its group's Telegram/Slack chats and edits the message as it is claimed, withdrawn or "
                    "expires, or its sharer restricts processing",
        chats=("telegram", "slack"),  # sendMessage / editMessageText, chat.postMessage / chat.update
        secrets=("TELEGRAM_BOT_TOKEN", "SLACK_BOT_TOKEN"),
    ),
    Consumer(
        "fraud_signals",
        ("RatingSubmitted", "FoodShared", "FoodClaimed", "FoodExpired", "ExchangeCancelled", "ExchangeNoShow",
         "ModerationActionTaken"),
        # A second's window (issue 15): its flags reach moderators, no page reads them right after the change, so
        # the batch fills (10 records a poll at the daily peak, not ~3): fewer SQS receives/deletes and invocations.
        max_batching_window_seconds=1,
        description="Scores each user on the four fraud patterns (rating rings by dense-block peeling), flags to "
                    "moderators and restricts at the thresholds",
    ),
)
SCHEDULED_JOBS: tuple[ScheduledJob, ...] = (
    ScheduledJob("outbox_sweeper", 60, description="Publishes events still in the outbox after the grace period"),
    ScheduledJob("food_expiry", 60, uses_cache=True,
                 description="Expires available posts whose pickup window has ended; settles exchanges nobody closed "
                             "EXCHANGE_SETTLE_HOURS after theirs"),
)


# Event types put on the bus although no consumer above subscribes to them (an integration outside this
# catalog): none today. Every other event type is stored in the event store (EVENTLOG#, the audit record and
# what replay reads) but never put on the bus: no outbox pointer, no relay, no PutEvents (docs/events.md).
PUBLISHED_WITHOUT_SUBSCRIBER: frozenset[str] = frozenset()


def published(event_type: str) -> bool:
    """Whether events of this type go on the bus: some consumer's rule (or an outside integration) wants them."""
    return event_type in PUBLISHED_WITHOUT_SUBSCRIBER or any(event_type in c.event_types for c in CONSUMERS)


def consumer(name: str) -> Consumer:
    for entry in CONSUMERS:
        if entry.name == name:
            return entry
    raise KeyError(name)


def all_routes() -> list[tuple[str, Route]]:
    """(function name, route) for every HTTP route of the platform."""
    return [(fn.name, route) for fn in API_FUNCTIONS for route in fn.routes]
