"""What goes into and comes out of one step of a chat conversation, the same on every platform.

A Turn says who speaks in which chat; a Reply is what the bot answers, platform-neutral,
for the adapters (`telegram`, `slack`) to render.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from foodshare.bots.store import ChatRef
from foodshare.errors import DomainError
from foodshare.observability import logger


@dataclass(frozen=True)
class Button:
    label: str
    action: str  # "<verb>:<id>[:<arg>]", at most 64 bytes (Telegram's callback_data limit)


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    public: bool = False  # everyone in the chat should see it (Slack in_channel)
    expects_answer: bool = False  # the next plain message answers it (Telegram force_reply)
    replaces: bool = False  # replaces the message whose button was pressed
    notice: str | None = None  # one-line acknowledgement of a button press
    # For the person's eyes only (an exact pickup place): the adapters never put it in a
    # message the whole chat sees; Telegram sends it to the private chat with the bot.
    private: str | None = None
    # The whole reply (text and buttons) is for the person alone (a report's reason choice): a group
    # chat never sees it; Telegram sends it to the private chat with the bot, Slack answers ephemerally.
    personal: bool = False


@dataclass(frozen=True)
class Turn:
    user_id: str  # the Foodshare user: "tg:<id>" or "slack:<team>:<user>"
    chat: ChatRef
    can_converse: bool  # the platform delivers plain-text answers (Telegram does, Slack commands do not)
    # Everyone in the chat sees the bot's answers (a Telegram group chat; Slack answers the person alone).
    chat_sees_replies: bool = False
    # The platform's id for this request when it may redeliver it (Telegram's update_id):
    # writes made for it are recorded under it, so a redelivery cannot apply them twice.
    request_key: str | None = None

    @property
    def others_read(self) -> bool:
        """Whether the chat's members would see the answer (a Telegram group chat): a command about the person's
        account (/export, /erase, /privacy) or a group's administration (/invite, /join, /mod) is then only pointed to
        the private chat. Slack answers a command to its sender alone, in a channel too."""
        return self.chat_sees_replies or (self.chat.is_group and self.chat.platform != "slack")


# Refusals that say something about the person's standing rather than the post (their trust level and its limits,
# their credits, a moderators' restriction or ban, a low-rating suspension, a privacy restriction, an erasure under
# way): for them alone (`Reply.personal`), never posted where a group chat reads it. The allowance's "you have shared
# a lot lately" (`rate_limited`) says no more than the group's announcements show.
ABOUT_THE_PERSON = frozenset({
    "active_claim_limit", "daily_credit_limit", "group_claim_quota", "partner_claim_limit",
    "suspended_low_ratings", "restricted", "banned", "insufficient_credits", "processing_restricted",
    "account_erased",
})


# Refusals whose domain words name an API route a chat user has no use for.
IN_A_CHAT = {"account_erased": "Your account is being erased (/erase): it can no longer act."}


def answering(action: Callable[[], Reply]) -> Reply:
    """The action's reply; a domain refusal becomes a friendly answer, never an error, and so does
    a ValueError (odd text a reader let through: `unreadable`)."""
    try:
        return action()
    except DomainError as exc:
        message = IN_A_CHAT.get(exc.code, exc.message)
        return Reply(f"⚠️ {message}", notice=message, personal=exc.personal or exc.code in ABOUT_THE_PERSON)
    except ValueError as exc:
        message = unreadable(exc)
        return Reply(f"⚠️ {message}", notice=message)


def unreadable(exc: ValueError) -> str:
    """What a person hears when a reader let through text that it then could not convert.

    Readers raise ValidationFailed for what they refuse, so this is a reader's bug: logged, and
    answered rather than a 500, which Telegram would redeliver to fail the same way again."""
    # The error's type only: its message quotes the person's text, which stays out of the logs.
    logger.error("a reader let through text it could not read", extra={"error": type(exc).__name__})
    return "I could not read that. /help shows how to write it."
