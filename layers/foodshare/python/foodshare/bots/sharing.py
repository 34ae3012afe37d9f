"""Sharing food from a chat: the one-line `/share`, the guided flow (a small state machine), the group choice.

The guided flow's state (step and draft) lives in the table between webhook calls
(`store.save_conversation`), so any container can take the next answer. The draft
is a share request body in the HTTP API's shape: `ShareFoodRequest` validates it and
maps it to the domain's NewPost, the same path as `POST /food`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from foodshare import clock
from foodshare.bots import allowance, parsing, rendering, store
from foodshare.bots.turns import Button, Reply, Turn, answering, unreadable
from foodshare.domain import food, groups, users
from foodshare.errors import Conflict, DomainError, ValidationFailed

if TYPE_CHECKING:
    from foodshare.api.requests import ShareFoodRequest

STEPS = ("title", "quantity", "window", "place", "labels")
PROMPTS = {
    "title": "What are you sharing? A short title, e.g. “Vegetable soup”.",
    "quantity": "How many portions (1-10)?",
    "window": "When can it be picked up? e.g. 2h, 90m, 18:00-20:00 or now-20:00.",
    "place": "Where? Send a location, or type `lat,lng label`, e.g. `52.37,4.89 Community hall`.",
    "labels": "Dietary tags and allergens, e.g. `#vegan #halal !nuts`, or `none`.",
    "group": "Which group is it for?",
}
# The step (and form field) a field of the draft, or of a refusal, belongs to.
_FIELD_OF = {"title": "title", "quantity": "quantity", "pickupWindow": "window", "pickupStart": "window",
             "pickupEnd": "window", "pickupLocation": "place", "labels": "labels", "dietaryTags": "labels",
             "allergens": "labels", "groupId": "group"}
ONE_LINE = "Share in one line:\n/food share Vegetable soup | 3 | 18:00-20:00 | 52.37,4.89 Hall | #vegan !celery"


def chat_group(turn: Turn) -> str | None:
    """The group a group chat stands for (the caller must be a member); None in a private chat."""
    if not turn.chat.is_group:
        return None
    group_id = store.linked_group(turn.chat.key)
    if group_id is None or groups.membership(group_id, turn.user_id) is None:
        raise Conflict("Send /start here first to join this chat's group.", code="not_joined")
    return group_id


def share(turn: Turn, args: str) -> Reply:
    """`/share` alone starts the guided flow; `/share a | b | c | d [| e]` shares in one go."""
    users.ensure(turn.user_id)
    draft: dict = {}
    group_id = chat_group(turn)
    if group_id:
        draft["groupId"] = group_id
    if not args:
        if not turn.can_converse:
            return Reply(ONE_LINE)
        return _ask(turn, "title", draft, None)
    parts = [p.strip() for p in args.split("|")]
    if len(parts) < 4:
        raise ValidationFailed(
            "Write: title | portions | window | lat,lng place [| #tags !allergens], or just /share to be guided.",
            fields={"share": "needs at least 4 parts separated by |"},
        )
    for step, answer in zip(STEPS, parts[:5]):
        draft |= read(step, answer, None)
    return complete(turn, draft, None)


def on_answer(turn: Turn, text: str | None = None, location: tuple[float, float] | None = None) -> Reply | None:
    """A plain message: the next answer of an open /share flow, or None (not for the bot)."""
    flow = store.conversation(turn.chat.key, turn.user_id)
    if flow is None:
        return _replayed(turn)
    return answering(lambda: _advance(turn, flow, text, location))


# ---- a form with every field at once (Slack's modal) -------------------------------------

FORM_FIELDS = STEPS  # title, quantity, window, place, labels (optional)


def form_groups(turn: Turn) -> dict[str, str] | None:
    """The groups a form must offer to choose from (id -> name); None when the chat says which."""
    if chat_group(turn):
        return None
    mine = groups.group_ids_of(turn.user_id)
    if not mine:
        raise Conflict("You are not in a group yet: add me to your group's channel and run /food start there.",
                       code="no_group")
    return groups.names(set(mine)) if len(mine) > 1 else None


def share_form(turn: Turn, answers: dict[str, str | None], group_id: str | None = None) -> tuple[Reply | None, dict]:
    """Share from a form: (the confirmation, {}) or (None, a message for each field that is wrong)."""
    draft: dict = {}
    problems: dict[str, str] = {}
    for field in FORM_FIELDS:
        text = (answers.get(field) or "").strip()
        if not text:
            if field != "labels":
                problems[field] = "Required."
            continue
        try:
            draft |= read(field, text)
        except ValidationFailed as exc:
            problems[field] = exc.message
        except ValueError as exc:
            problems[field] = unreadable(exc)
    if problems:
        return None, problems
    try:
        users.ensure(turn.user_id)
        chosen = chat_group(turn) or group_id
        if chosen:
            groups.require_member(chosen, turn.user_id)
            draft["groupId"] = chosen
        elif len(groups.group_ids_of(turn.user_id)) > 1:
            return None, {"group": "Choose the group it is for."}
        return complete(turn, draft, None), {}
    except DomainError as exc:
        fields = {_FIELD_OF.get(name, "title"): exc.message for name in exc.fields} or {"title": exc.message}
        return None, fields


def _replayed(turn: Turn) -> Reply | None:
    """A redelivered last answer whose share committed (and ended the flow) before the first run could answer."""
    if turn.request_key is None:
        return None
    post = food.shared_for(turn.request_key)
    return shared_reply(turn, post) if post is not None and post.sharer_id == turn.user_id else None


def choose_group(turn: Turn, group_id: str) -> Reply:
    """The group button of a flow that had to ask which group."""
    flow = store.conversation(turn.chat.key, turn.user_id)
    if flow is None or flow.step != "group":
        return Reply("That share has timed out; start again with /share.", notice="Timed out")
    groups.require_member(group_id, turn.user_id)
    return complete(turn, flow.draft | {"groupId": group_id}, flow)


def stop(turn: Turn) -> Reply | None:
    """`/cancel` without an id: end the open flow; None when there is none."""
    if store.conversation(turn.chat.key, turn.user_id) is None:
        return None
    store.end_conversation(turn.chat.key, turn.user_id)
    return Reply("OK, nothing was shared.")


def _ask(turn: Turn, step: str, draft: dict, flow: store.Conversation | None, problem: str | None = None) -> Reply:
    store.save_conversation(turn.chat.key, turn.user_id, step, draft, flow)
    return _prompt(turn, step, problem)


def _prompt(turn: Turn, step: str, problem: str | None = None) -> Reply:
    text = f"{PROMPTS[step]}  (/cancel to stop)"
    if step != "group":
        return Reply(f"⚠️ {problem}\n{text}" if problem else text, expects_answer=True)
    names = groups.names(set(groups.group_ids_of(turn.user_id)))
    return Reply(text, buttons=tuple((Button(name[:40], f"group:{gid}"),)
                                     for gid, name in sorted(names.items(), key=lambda x: x[1])))


def read(step: str, text: str | None, location: tuple[float, float] | None = None) -> dict:
    """One answer, validated, as fields of the share request body (the HTTP API's names)."""
    if step == "place" and location is not None:
        lat, lng = parsing.coordinates(*location)
        return {"pickupLocation": {"lat": lat, "lng": lng, "label": None}}
    if text is None:
        raise ValidationFailed("Please answer with text.", fields={step: "expected text"})
    if step == "title":
        return {"title": parsing.title(text)}
    if step == "quantity":
        return {"quantity": parsing.portions(text)}
    if step == "window":
        start, end = parsing.window(text)
        return {"pickupStart": clock.iso(start), "pickupEnd": clock.iso(end)}
    if step == "place":
        lat, lng, label = parsing.place(text)
        return {"pickupLocation": {"lat": lat, "lng": lng, "label": label}}
    labels = parsing.labels(text)
    return {"dietaryTags": list(labels.tags), "allergens": list(labels.allergens)}


def request(draft: dict) -> ShareFoodRequest:
    """The draft as the HTTP API's share request, or ValidationFailed naming the fields.

    pydantic is imported here, on the first share, not at every webhook cold start."""
    from pydantic import ValidationError

    from foodshare.api.requests import ShareFoodRequest

    try:
        return ShareFoodRequest.model_validate(draft)
    except ValidationError as exc:
        fields = {".".join(str(p) for p in error["loc"]) or "body": error["msg"] for error in exc.errors()}
        # Each as the person gave it (the step: "labels", "place") and why, not as the API's field path
        said = dict.fromkeys(f"{_FIELD_OF.get(name.split('.')[0], name)}: {why.removeprefix('Value error, ')}"
                             for name, why in fields.items())
        raise ValidationFailed("Some of the answers are not valid: " + "; ".join(said), fields=fields) from exc


def _advance(turn: Turn, flow: store.Conversation, text: str | None, location: tuple[float, float] | None) -> Reply:
    if flow.step == "group":
        return _prompt(turn, "group")
    try:
        draft = flow.draft | read(flow.step, text, location)
    except ValidationFailed as exc:
        return _prompt(turn, flow.step, exc.message)
    following = next((step for step in STEPS if not _answered(step, draft)), None)
    if following is not None:
        return _ask(turn, following, draft, flow)
    return complete(turn, draft, flow)


def _answered(step: str, draft: dict) -> bool:
    return any(_FIELD_OF.get(field) == step for field in draft)


def _step_refused(exc: ValidationFailed) -> str | None:
    """The step whose answer a refusal names (`pickupEnd`: the window), if any."""
    return next((step for name in exc.fields if (step := _FIELD_OF.get(name.split(".")[0])) in STEPS), None)


def complete(turn: Turn, draft: dict, flow: store.Conversation | None) -> Reply:
    """Publish the draft, first asking for the group when the chat does not say which. In the guided
    flow, a refusal naming one answer asks for that answer again rather than leaving the flow on its
    last step, where every later message would be read as labels."""
    if "groupId" not in draft:
        mine = groups.group_ids_of(turn.user_id)
        if not mine:
            raise Conflict("You are not in a group yet: add me to your group chat and send /start there.",
                           code="no_group")
        if len(mine) > 1:
            return _ask(turn, "group", draft, flow)
        draft = draft | {"groupId": mine[0]}
    allowance.spend(turn.user_id, allowance.POSTING)
    try:
        post = food.share(turn.user_id, request(draft).new_post(), request_key=turn.request_key)
    except ValidationFailed as exc:
        step = _step_refused(exc)
        if flow is None or step is None:
            raise
        # That answer is asked for again (a window that ran out while the person answered the
        # later steps); the others are kept, so the share completes once it is given.
        return _ask(turn, step, {k: v for k, v in draft.items() if _FIELD_OF.get(k) != step}, flow, exc.message)
    if flow is not None:
        store.end_conversation(turn.chat.key, turn.user_id)
    return shared_reply(turn, post)


def shared_reply(turn: Turn, post) -> Reply:
    """The sharer's confirmation; the Claim button is on the group chat's announcement, which follows."""
    if turn.chat.is_group:
        return Reply(f"Thanks {rendering.shown_name(turn.user_id, post.group_id)}, {post.title} is shared. "
                     "The announcement follows and says when it is claimed.")
    return Reply(f"Shared:\n{rendering.post_text(post)}\n"
                 "It is announced in the group's chat, and I'll tell you here when it is claimed.")
