"""Outbound JSON over HTTPS with urllib: retries with jittered backoff, honouring 429 Retry-After.

Telegram answers 429 with `parameters.retry_after`, Slack with a Retry-After header.
A wait longer than MAX_WAIT_SECONDS is not slept through inside a Lambda: the caller
gets RetryLater and the queue redelivers later. Other 4xx answers are Undeliverable.
"""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request

MAX_ATTEMPTS = 4
BASE_DELAY_SECONDS = 0.2
MAX_WAIT_SECONDS = 2.0  # a longer retry_after goes back to the queue rather than sleeping a Lambda
TIMEOUT_SECONDS = 5.0


class RetryLater(Exception):
    """A transient failure that outlasted our retries: try the whole delivery again later."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after  # seconds the platform asked us to wait (429), if it said


class Undeliverable(Exception):
    """The other side refused for good (bot blocked, chat gone, bad request): retrying will not help."""

    def __init__(self, status: int, body: object):
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


def post_json(url: str, payload: dict, headers: dict[str, str] | None = None, *,
              attempts: int = MAX_ATTEMPTS, timeout: float = TIMEOUT_SECONDS) -> object:
    """POST `payload` as JSON; the decoded answer (JSON, else text)."""
    data = json.dumps(payload, separators=(",", ":")).encode()
    request_headers = {"content-type": "application/json; charset=utf-8", **(headers or {})}
    for attempt in range(attempts):
        last = attempt == attempts - 1
        try:
            request = urllib.request.Request(url, data=data, headers=request_headers, method="POST")
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return _decode(response.read())
        except urllib.error.HTTPError as exc:
            body = _decode(exc.read())
            if exc.code == 429:
                wait = _retry_after(exc.headers.get("retry-after"), body)
                if last or wait > MAX_WAIT_SECONDS:
                    raise RetryLater(f"rate limited for {wait:g} s", retry_after=wait) from exc
                time.sleep(wait)
                continue
            if exc.code < 500:
                raise Undeliverable(exc.code, body) from exc
            if last:
                raise RetryLater(f"HTTP {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            if last:
                raise RetryLater(str(exc)) from exc
        time.sleep(random.uniform(0, BASE_DELAY_SECONDS * 2**attempt))
    raise RetryLater("no attempts")


def _decode(raw: bytes) -> object:
    text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def _retry_after(header: str | None, body: object) -> float:
    if isinstance(body, dict) and isinstance(body.get("parameters"), dict) and "retry_after" in body["parameters"]:
        return float(body["parameters"]["retry_after"])
    try:
        return float(header) if header else 1.0
    except ValueError:
        return 1.0
