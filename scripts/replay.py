"""`make replay`: rebuild reputation and the group read models from the event store.

Works on the table the environment names (TABLE_NAME, AWS_REGION, AWS credentials or
DYNAMODB_ENDPOINT), so on AWS pause the consumers' event source mappings first. With
`--verify` it compares the state before and after and exits 1 if they differ (the
live path and the replay must agree).
"""

from __future__ import annotations

import argparse
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verify", action="store_true", help="compare the rebuilt state with the live one")
    args = parser.parse_args()
    from foodshare import replay

    before = replay.derived_state() if args.verify else None
    count = replay.rebuild()
    print(f"replayed {count} events")
    if before is None:
        return 0
    after = replay.derived_state()
    differing = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    for key in differing[:20]:
        print(f"differs: {key}: live={before.get(key)} replayed={after.get(key)}")
    print(f"{len(after)} derived items compared, {len(differing)} differ")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
