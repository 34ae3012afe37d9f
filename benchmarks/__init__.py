"""Performance tooling: `make bench` (benchmarks), `make loadtest`, `make seed`, `make capacity`.

None of it runs in `make test`; tests/perf holds the small correctness tests of the tooling.
"""
