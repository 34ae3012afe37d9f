"""The in-process benchmarks (warm routes, consumers per record, claim race) in one process with one world.

moto runs inside this process (as in the tests), Redis is the real server (its own
database, flushed first). Run by `python -m benchmarks`; alone: `--out part.json`.
"""

from __future__ import annotations

from benchmarks import environment, results


def measure(samples: int) -> dict[str, float]:
    environment.configure()
    environment.flush_redis()
    with environment.in_process_aws():
        from benchmarks import claim_race, consumers, warm
        from benchmarks.world import World

        world = World.build(posts=20)
        metrics = claim_race.measure(world)
        metrics.update(consumers.measure(world))
        metrics.update(warm.measure(world, samples))  # last: one sample moves the clock forward
        return metrics


def main() -> None:
    results.section_cli(__doc__.splitlines()[0], measure, "samples", 30)


if __name__ == "__main__":
    main()
