"""`make serve`: synthesize (cached), then run local/stack.py with the emulator's interpreter.

`ServedStack` is the same thing as a context manager, for the tests (tests/support/stack.py),
the rehearsal and the load test: one process per stack, on the ports given, stopped by its pid.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STACK_PYTHON = ROOT / ".local" / "stack-venv" / "bin" / "python"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def discard(directory: Path) -> None:
    """Remove a directory without waiting for it: renamed at once (the next stack on the same port
    starts clean), then deleted by a detached `rm -rf`. A stack's scratch space holds every worker's
    extracted layer (about 0.5 GB after a test session); deleting it took 50-110 s on a busy disk,
    which every test session and `make serve` waited for on its way out."""
    if not directory.exists():
        return
    trash = directory.with_name(f"{directory.name}.discarded-{os.getpid()}-{time.monotonic_ns()}")
    try:
        directory.rename(trash)
        subprocess.Popen(["rm", "-rf", str(trash)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:  # no rename or no rm here: delete it the slow way
        shutil.rmtree(trash if trash.exists() else directory, ignore_errors=True)


@dataclass
class ServedStack:
    port: int = 3000
    emulator_port: int = 4566
    template: Path | None = None  # None: synthesize dev (cached)
    redis_url: str = field(default_factory=lambda: os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    env: dict[str, str] = field(default_factory=dict)  # e.g. TELEGRAM_API_BASE, secrets' values
    log: Path | None = None  # None: inherit stdout/stderr
    info: dict[str, Any] = field(default_factory=dict)
    _process: subprocess.Popen | None = None

    @property
    def api_url(self) -> str:
        return self.info["apiUrl"]

    @property
    def aws_endpoint(self) -> str:
        return self.info["awsEndpoint"]

    @property
    def pid(self) -> int:
        """The emulator process (its function workers are its descendants)."""
        return self._process.pid if self._process else 0

    def client_environment(self) -> dict[str, str]:
        """Variables that point this process's foodshare code (seeding, replay) at the stack's table and bus."""
        outputs, region = self.info["outputs"], self.info["region"]
        # The functions' identity key (a secret the emulator generated), not the development key: what this process
        # records (a member's handle index item, a pseudonym, an area) must match what the functions show and look up.
        identity = {"IDENTITY_KEY": "", "IDENTITY_KEY_SECRET_ARN": self.info.get("identityKeySecretArn") or ""}
        return {"TABLE_NAME": outputs["TableName"], "EVENT_BUS_NAME": outputs["EventBusName"], "STAGE": "local",
                "AWS_ENDPOINT_URL": self.aws_endpoint, "AWS_REGION": region, "AWS_DEFAULT_REGION": region,
                "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "REDIS_URL": self.redis_url, **identity}

    def start(self, timeout: float = 180) -> ServedStack:
        from local.prepare import host_layer, synthesize, write_jwks

        if not STACK_PYTHON.exists():
            sys.exit("The emulator's virtualenv is missing: `make stack-venv` creates it (make serve and make test do).")
        template = Path(self.template).resolve() if self.template else synthesize("dev")
        layer = host_layer()
        write_jwks()
        ready = ROOT / ".local" / f"stack-{self.port}.json"
        ready.unlink(missing_ok=True)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env.update(self.env)
        command = [str(STACK_PYTHON), "-m", "local.stack", "--template", str(template), "--layer-dir", str(layer),
                   "--port", str(self.port), "--emulator-port", str(self.emulator_port),
                   "--ready-file", str(ready), "--redis-url", self.redis_url]
        out = open(self.log, "wb") if self.log else None
        self._process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT if out else None,
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        while not ready.exists():
            if self._process.poll() is not None:
                raise RuntimeError(f"the local stack exited ({self._process.returncode})"
                                   + (f": see {self.log}" if self.log else ""))
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"the local stack was not deployed within {timeout} s")
            time.sleep(0.2)
        self.info = json.loads(ready.read_text())
        return self

    def stop(self) -> None:
        """Stop the stack and its function workers (its own process group, nothing else)."""
        if self._process and self._process.poll() is None:
            try:
                os.killpg(self._process.pid, signal.SIGTERM)
                self._process.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self._process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self._process = None
        # The emulator's scratch space (its S3 data, each worker's extracted code) dies with it.
        discard(ROOT / ".local" / f"ministack-{self.emulator_port}")
        (ROOT / ".local" / f"stack-{self.port}.json").unlink(missing_ok=True)

    def wait(self) -> int:
        return self._process.wait() if self._process else 0

    def __enter__(self) -> ServedStack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the synthesized stack on the emulator")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 3000)))
    parser.add_argument("--emulator-port", type=int, default=int(os.environ.get("EMULATOR_PORT", 4566)))
    parser.add_argument("--template", type=Path, help="a synthesized *.template.json to serve instead of dev")
    parser.add_argument("--seed", metavar="GROUPS,USERS,POSTS",
                        help="seed realistic data once deployed (local.seed); writes .local/seed-manifest.json")
    args = parser.parse_args()
    stack = ServedStack(port=args.port, emulator_port=args.emulator_port, template=args.template)
    try:
        stack.start()
        if args.seed:
            os.environ.update(stack.client_environment())
            from local.seed import SeedSize, seed

            manifest = seed(SeedSize.parse(args.seed))
            manifest.write()
            print(f"seeded in {manifest.seconds} s; manifest: .local/seed-manifest.json", file=sys.stderr)
        sys.exit(stack.wait())
    except KeyboardInterrupt:
        pass
    except (RuntimeError, TimeoutError) as error:
        sys.exit(f"make serve: {error}")
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
