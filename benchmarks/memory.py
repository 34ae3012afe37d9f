"""Worker memory during a soak: sample each serving process's RSS and fit its growth per hour.

Which processes serve is pluggable (`--workers`): a finder returns {label: pid} and is
asked again at every sample, because workers come and go (a Lambda emulator's worker
subprocesses are recycled):
- `self`: this process (an in-process server);
- `tree:PID`: every descendant of PID (the served stack's emulator process: its Lambda
  worker subprocesses, each labelled `<function>#pid` from AWS_LAMBDA_FUNCTION_NAME), and
  PID itself as `emulator`; the default of `make loadtest` on the stack it starts;
- `pids:123,456`: fixed processes;
- `match:TEXT`: every process whose command line contains TEXT (e.g. an emulator's
  Lambda worker subprocesses), labelled `TEXT#pid`.
RSS comes from /proc/<pid>/status (VmRSS), or psutil where /proc is missing.

Growth is the least-squares slope of RSS over time after a warm-up (imports, caches
filling), in MB per hour; a worker leaks when it grows faster than LEAK_MB_PER_HOUR and
LEAK_FRACTION_PER_HOUR of its size.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

ProcessFinder = Callable[[], dict[str, int]]
WARMUP_FRACTION = 0.2
LEAK_MB_PER_HOUR = 20.0
LEAK_FRACTION_PER_HOUR = 0.10
# Sampled and reported, never judged: the emulator process is the stand-in for DynamoDB, SQS,
# CloudWatch Logs... and holds their data, which grows with every write the load makes.
NOT_JUDGED = ("emulator",)


def this_process() -> dict[str, int]:
    return {"local-stack": os.getpid()}


def by_pids(pids: list[int]) -> ProcessFinder:
    return lambda: {f"pid {p}": p for p in pids}


def matching(text: str) -> ProcessFinder:
    def find() -> dict[str, int]:
        found = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in command:
                found[f"{text}#{entry.name}"] = int(entry.name)
        return found

    return find


def _parent(pid: str) -> int | None:
    try:  # /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses
        return int((Path("/proc") / pid / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _function_name(pid: int) -> str | None:
    try:
        for entry in (Path("/proc") / str(pid) / "environ").read_bytes().split(b"\0"):
            if entry.startswith(b"AWS_LAMBDA_FUNCTION_NAME="):
                return entry.split(b"=", 1)[1].decode(errors="replace")
    except OSError:
        pass
    return None


def descendants(root: int) -> ProcessFinder:
    def find() -> dict[str, int]:
        parents = {int(e.name): _parent(e.name) for e in Path("/proc").iterdir() if e.name.isdigit()}
        tree, grew = {root}, True
        while grew:
            grew = False
            for pid, parent in parents.items():
                if parent in tree and pid not in tree:
                    tree.add(pid)
                    grew = True
        found = {"emulator": root} if root in parents else {}
        for pid in sorted(tree - {root}):
            found[f"{_function_name(pid) or 'process'}#{pid}"] = pid
        return found

    return find


def finder(spec: str) -> ProcessFinder:
    if spec == "self":
        return this_process
    kind, _, value = spec.partition(":")
    if kind == "pids":
        return by_pids([int(p) for p in value.split(",") if p])
    if kind == "match" and value:
        return matching(value)
    if kind == "tree" and value.isdigit():
        return descendants(int(value))
    raise ValueError(f"--workers: self, tree:PID, pids:1,2 or match:TEXT, not {spec!r}")


def rss_bytes(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss
    except Exception:  # noqa: BLE001 - gone, or psutil missing: no sample
        return None


class Sampler:
    """Samples every `interval` seconds in a thread until stopped; samples: label -> [(t, rss bytes)]."""

    def __init__(self, find: ProcessFinder, interval: float = 5.0):
        self.find, self.interval = find, interval
        self.samples: dict[str, list[tuple[float, int]]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="memory-sampler")
        self._start = 0.0

    def _sample(self) -> None:
        now = time.monotonic() - self._start
        for label, pid in self.find().items():
            rss = rss_bytes(pid)
            if rss is not None:
                self.samples.setdefault(label, []).append((now, rss))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def start(self) -> Sampler:
        self._start = time.monotonic()
        self._thread.start()
        return self

    def stop(self) -> dict[str, list[tuple[float, int]]]:
        self._stop.set()
        self._thread.join(timeout=self.interval + 5)
        self._sample()
        return self.samples


def slope_per_hour(points: list[tuple[float, int]]) -> float:
    """Least-squares slope of bytes over seconds, as MB per hour."""
    n = len(points)
    if n < 2:
        return 0.0
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return 0.0
    slope = sum((t - mean_t) * (v - mean_v) for t, v in points) / var
    return slope * 3600 / 1e6


def growth(samples: dict[str, list[tuple[float, int]]]) -> dict[str, dict]:
    """Per worker: start and end RSS (MB), growth per hour after the warm-up, and the leak verdict
    (None for a process in NOT_JUDGED: it holds the emulated services' data, not a function's)."""
    out = {}
    for label, points in samples.items():
        if not points:
            continue
        horizon = points[-1][0]
        settled = [p for p in points if p[0] >= horizon * WARMUP_FRACTION] or points
        per_hour = slope_per_hour(settled)
        start_mb = settled[0][1] / 1e6
        leak = per_hour > LEAK_MB_PER_HOUR and per_hour > LEAK_FRACTION_PER_HOUR * start_mb
        if label in NOT_JUDGED:
            leak = None
        out[label] = {"samples": len(points), "start_mb": round(points[0][1] / 1e6, 1),
                      "settled_mb": round(start_mb, 1), "end_mb": round(points[-1][1] / 1e6, 1),
                      "growth_mb_per_hour": round(per_hour, 1), "leak": leak}
    return out
