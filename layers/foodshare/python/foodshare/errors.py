"""Domain errors: each carries the HTTP status and stable code the API answers with."""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, str] | None = None,
        retry_at: str | None = None,
        personal: bool = False,
    ):
        super().__init__(message)
        # It says something about a person (their privacy choice, their erasure): the bots answer it to the caller
        # alone, never where a group chat reads it (bots/turns.answering).
        self.personal = personal
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}
        self.retry_at = retry_at  # when a refusal by a rule lifts (ISO time), answered as `retryAt`


class ValidationFailed(DomainError):
    status = 400
    code = "validation_error"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class ConcurrentUpdate(Conflict):
    """An optimistic write lost a race; the operation is safe to retry from the start."""

    code = "concurrent_update"


class AlreadyApplied(Conflict):
    """The request that asks for this write was applied before (a redelivery)."""

    code = "already_applied"
