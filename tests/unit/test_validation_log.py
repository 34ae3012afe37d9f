"""`observability.log_exception`: a pydantic ValidationError anywhere in an exception's chain is logged by location and
type, never with the values it quotes; any other exception as `logger.exception` logs it."""

from __future__ import annotations

from pydantic import BaseModel, ValidationError

from foodshare.observability import log_exception, validation_errors
from tests.support.logs import captured_logs


class Place(BaseModel):
    label: str
    lat: float


def _refusal() -> ValidationError:
    try:
        Place.model_validate({"lat": "Xyzzy Lane 7"})
    except ValidationError as exc:
        return exc
    raise AssertionError("validated")


def test_validation_errors_keep_where_and_what_kind_only():
    assert validation_errors(_refusal().errors()) == [{"loc": "label", "type": "missing"},
                                                      {"loc": "lat", "type": "float_parsing"}]


def test_a_validation_error_behind_another_exception_is_logged_without_its_values():
    try:
        try:
            raise _refusal()
        except ValidationError as exc:
            raise RuntimeError("could not build the answer") from exc
    except RuntimeError as outer:
        with captured_logs() as logs:
            log_exception("unhandled error", outer)
    logged = logs.getvalue()
    assert "Xyzzy" not in logged and '"model":"Place"' in logged and '"type":"float_parsing"' in logged, logged
    assert '"error":"RuntimeError"' in logged and "test_validation_log.py" in logged


def test_other_exceptions_are_logged_with_their_traceback():
    try:
        raise KeyError("claimerId")
    except KeyError as exc:
        with captured_logs() as logs:
            log_exception("unhandled error", exc)
    assert "KeyError" in logs.getvalue() and "claimerId" in logs.getvalue()
