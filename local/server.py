"""`make serve`: the whole stack on one machine, AWS on embedded moto.

An HTTP server plays API Gateway: it checks the bearer JWT like the HTTP API JWT
authorizer, turns each request into the payload 2.0 event, invokes the function's
real handler and writes its response back.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from local import environment


class ApiGateway(BaseHTTPRequestHandler):
    server_version = "FoodshareLocal/1.0"
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        from local.apigw import LambdaContext, build_event, match_route, path_exists
        from local.runtime import invoke_function

        started = time.perf_counter()
        url = urlsplit(self.path)
        try:
            length = int(self.headers.get("content-length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._reply(400, {"content-type": "application/json"},
                        json.dumps({"error": {"code": "validation_error", "message": "Bad content-length."}}).encode())
            return
        body = self.rfile.read(length) if length else None
        matched = match_route(self.command, url.path)
        if matched is None:
            status = 405 if path_exists(url.path) else 404
            self._reply(status, {"content-type": "application/json"},
                        json.dumps({"error": {"code": "not_found", "message": f"No route {self.command} {url.path}"}}).encode())
            return
        claims = None
        if not matched.route.public:
            claims = self._claims()
            if claims is None:
                self._reply(401, {"content-type": "application/json", "www-authenticate": "Bearer"},
                            json.dumps({"error": {"code": "unauthorized", "message": "Missing or invalid bearer token."}}).encode())
                return
        event = build_event(matched, url.path, query_string=url.query, headers=dict(self.headers.items()),
                            body=body, claims=claims, source_ip=self.client_address[0])
        response = invoke_function(matched.function, event, LambdaContext(function_name=f"foodshare-{matched.function}"))
        payload = response.get("body") or ""
        raw = base64.b64decode(payload) if response.get("isBase64Encoded") else payload.encode()
        headers = {k.lower(): str(v) for k, v in (response.get("headers") or {}).items()}
        for key, values in (response.get("multiValueHeaders") or {}).items():
            headers[key.lower()] = ", ".join(str(v) for v in values)
        self._reply(int(response.get("statusCode", 200)), headers, raw)
        if os.environ.get("LOCAL_ACCESS_LOG", "1") == "1":
            elapsed = (time.perf_counter() - started) * 1000
            print(f"{self.command} {url.path} -> {response.get('statusCode')} {elapsed:.1f} ms", file=sys.stderr)

    def _claims(self) -> dict | None:
        from local.jwt_keys import verify

        header = self.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        try:
            return verify(header[7:].strip())
        except Exception:  # any invalid token is a 401, as at the real authorizer
            return None

    def _reply(self, status: int, headers: dict, body: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            if key not in ("content-length", "connection"):
                self.send_header(key, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def __getattr__(self, name: str):
        # every method reaches the routing, as at API Gateway: a method a path lacks is a 405, not a 501
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args) -> None:  # the access log above says what matters
        return


def make_server(host: str, port: int) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), ApiGateway)
    server.daemon_threads = True
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the Foodshare stack locally")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 3000)))
    parser.add_argument("--seed", metavar="GROUPS,USERS,POSTS",
                        help="seed realistic data first (local.seed), e.g. 200,2000,10000; writes .local/seed-manifest.json")
    args = parser.parse_args()
    stack = environment.start()
    if args.seed:
        from local.seed import SeedSize, seed

        manifest = seed(SeedSize.parse(args.seed))
        manifest.write()
        print(f"seeded in {manifest.seconds} s; manifest: .local/seed-manifest.json", file=sys.stderr)
    server = make_server(args.host, args.port)
    print(f"Foodshare local stack on http://{args.host}:{args.port}  ({stack.describe()})", file=sys.stderr)
    print("Get a token with: make token USER=alice", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        stack.stop()


if __name__ == "__main__":
    main()
