"""Bot secrets: the value from the environment locally, Secrets Manager or SSM on AWS.

Powertools Parameters fetches on first use and caches for SECRET_MAX_AGE_SECONDS, so
a rotated secret is picked up without a redeploy and cold starts pay nothing upfront.
"""

from __future__ import annotations

from foodshare.settings import SecretRef

SECRET_MAX_AGE_SECONDS = 300


def resolve(ref: SecretRef) -> str | None:
    """The secret's value, or None when it is not configured (the webhook then answers 503).

    A blank value counts as not configured: Secrets Manager cannot hold an empty string, so a
    secret put to " " switches a bot off (the local stack does that for unset settings)."""
    value = _value(ref)
    return value if value and value.strip() else None


def _value(ref: SecretRef) -> str | None:
    if ref.value:
        return ref.value
    if ref.secret_arn:
        from aws_lambda_powertools.utilities import parameters

        return parameters.get_secret(ref.secret_arn, max_age=SECRET_MAX_AGE_SECONDS) or None
    if ref.parameter:
        from aws_lambda_powertools.utilities import parameters

        return parameters.get_parameter(ref.parameter, decrypt=True, max_age=SECRET_MAX_AGE_SECONDS) or None
    return None
