"""Validation errors in the logs: where and what kind, never the values (docs/privacy.md: logs carry ids, not names
or places).

Found by an audit: an answer that did not match its declared model was logged with pydantic's errors as they are,
and each error's `input` is the value refused — for a missing field the whole answer: a person's display name, a
post's title and exact place, an erasure's confirmation code — in CloudWatch for the log retention (90 days on
prod). A pydantic ValidationError raised anywhere else reached the catch-all's traceback, whose text quotes
`input_value=…` the same way. The log output is what the functions write to stdout (what CloudWatch receives).
"""

from __future__ import annotations

from foodshare.api import models, views
from tests.support.api import call
from tests.support.logs import captured_logs

SECRET = "Xyzzy Quux-Lane 7"


def test_an_answer_that_breaks_its_model_is_logged_by_location_and_type_only(monkeypatch):
    assert call("PUT", "/me", user="ana", json={"displayName": SECRET}).status == 200
    real = views.profile

    def without_pseudonym(user):  # our bug: a field the model requires is missing from the answer
        body = real(user).model_dump(by_alias=True)
        del body["pseudonym"]
        return body

    monkeypatch.setattr(views, "profile", without_pseudonym)
    with captured_logs() as logs:
        answer = call("GET", "/me", user="ana")
    logged = logs.getvalue()

    assert answer.status == 500 and answer.error_code == "internal_error"
    assert "response does not match its declared model" in logged
    assert "response.pseudonym" in logged and "missing" in logged, logged  # where, and what kind
    assert "Xyzzy" not in logged and "Quux" not in logged, logged
    assert "input" not in logged, logged


def test_a_validation_error_no_route_expected_is_logged_without_the_values(monkeypatch):
    assert call("PUT", "/me", user="ana", json={"displayName": SECRET}).status == 200
    monkeypatch.setattr(views, "profile",
                        lambda user: models.Profile.model_validate({"displayName": user.display_name, "score": "x"}))
    with captured_logs() as logs:
        answer = call("GET", "/me", user="ana")
    logged = logs.getvalue()

    assert answer.status == 500 and answer.error_code == "internal_error"
    assert "unhandled error" in logged and "ValidationError" in logged and "Profile" in logged
    assert "score" in logged and "float_parsing" in logged  # where, and what kind
    assert "test_validation_logs.py" in logged  # the traceback's frames are kept: where it was raised
    assert "Xyzzy" not in logged and "input_value" not in logged, logged


def test_a_request_that_fails_validation_logs_nothing_of_its_body():
    """The caller's own mistake is answered 400 naming the fields; nothing of it is logged."""
    with captured_logs() as logs:
        answer = call("PUT", "/me", user="ana", json={"displayName": SECRET * 20, "location": {"lat": SECRET}})
    assert answer.status == 400
    assert "Xyzzy" not in logs.getvalue()
