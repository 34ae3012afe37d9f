"""`make token USER=<id>`: print a bearer token the local stack accepts."""

from __future__ import annotations

import sys

from local.jwt_keys import issue_token

if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].strip():
        sys.exit("usage: python -m local.token <user-id>")
    print(issue_token(sys.argv[1].strip()))
