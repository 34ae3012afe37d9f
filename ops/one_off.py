"""What every one-off after a deploy shares (docs/deploy.md): its command line and its one line of output.

Each one-off module holds only its `migrate()` (a parallel scan, idempotent, returning how many items it
changed) and says what that count means.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable


def run(doc: str, migrate: Callable[[], int], done: str) -> None:
    """Parse the (empty) command line, so `--help` shows what the one-off is for; run it; print `<count> <done>`."""
    argparse.ArgumentParser(description=doc.splitlines()[0]).parse_args()
    print(f"{migrate()} {done}")
