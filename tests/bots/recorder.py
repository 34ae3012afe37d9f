"""A local HTTP server standing in for the Bot API, Slack's Web API and response_url: it records every call.

Answers are what the platform would say (Bot API: `{"ok": true, "result": {"message_id": …}}`; Slack's
Web API: `{"ok": true, "channel": …, "ts": …}`, a new `ts` each call) unless a test scripts others
for a method (e.g. a 429 with retry_after, then success). Each call keeps the answer it got.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Call:
    path: str
    body: dict
    headers: dict
    answer: dict | None = None  # the body the recorder answered with
    at: float = 0.0  # when it arrived (time.monotonic())

    @property
    def method(self) -> str:
        """The Bot API / Web API method: the last path segment."""
        return self.path.rsplit("/", 1)[-1]


class Recorder:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._scripts: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                status, body, headers = recorder._answer(
                    Call(self.path, json.loads(raw or b"{}"), {k.lower(): v for k, v in self.headers.items()}))
                payload = json.dumps(body).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def script(self, method: str, *answers: tuple[int, dict, dict]) -> None:
        """The next answers for calls to `method` (status, body, headers); then the default again."""
        self._scripts[method].extend(answers)

    def _answer(self, call: Call) -> tuple[int, dict, dict]:
        with self._lock:
            scripted = self._scripts[call.method]
            number = len(self.calls) + 1
            if scripted:
                status, body, headers = scripted.popleft()
            elif call.path.split("/")[1].startswith("bot"):  # /bot<token>/<method>: the Bot API
                status, body, headers = 200, {"ok": True, "result": {"message_id": number}}, {}
            else:  # Slack's Web API (or a response_url)
                status, body, headers = 200, {"ok": True, "channel": call.body.get("channel"),
                                              "ts": f"1700000000.{number:06d}"}, {}
            self.calls.append(Call(call.path, call.body, call.headers, body, time.monotonic()))
        return status, body, headers

    def sent(self, method: str, **where) -> list[dict]:
        """Bodies of the calls to `method` (oldest first), only those whose fields equal `where`'s."""
        return [c.body for c in self.calls
                if c.method == method and all(c.body.get(k) == v for k, v in where.items())]

    def answered(self, method: str, **where) -> list[dict]:
        """What the recorder answered to those calls, in the same order."""
        return [c.answer for c in self.calls
                if c.method == method and all(c.body.get(k) == v for k, v in where.items())]

    def start(self) -> Recorder:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
