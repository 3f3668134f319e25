"""A Prefect API for the flows a `pactwatch` command runs, started before anything else.

With no Prefect server configured, Prefect starts a temporary one when the first flow starts:
only then, after the command has imported and checked everything, and by importing the whole
server application into the command's own process (~50 MB that stay for the run). Started
here instead, as `prefect server start` in a process of its own at the very start of the
command, the server boots (~3.5 s) while the command imports its modules and checks its
configuration, and the command's process never loads it. Where an API is configured
(PREFECT_API_URL in the environment or the active Prefect profile), nothing is started.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from extractors.errors import PactwatchError

STARTUP_TIMEOUT_ENV = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"


class ApiServerFailed(PactwatchError):
    """The temporary Prefect server did not answer in time; the message ends with its log."""


@contextmanager
def prefect_api() -> Iterator[Callable[[], None]]:
    """Flows run inside this block talk to a configured Prefect API, or to a temporary server
    of this command's own (stopped when the block ends). The block gets `ready`: call it just
    before the first flow, so that what comes before (checking the configuration, importing
    the flow) happens while the server boots; it returns once flows can run."""
    if os.environ.get("PREFECT_API_URL"):
        yield _at_once
        return
    port = _free_port()
    with tempfile.TemporaryFile() as log:
        server = _start(port, log)
        try:
            from prefect.settings import (
                PREFECT_API_URL,
                PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
                temporary_settings,
            )

            if PREFECT_API_URL.value():  # a profile names an API: use it, as Prefect would
                yield _at_once
                return
            url = f"http://127.0.0.1:{port}/api"
            healthy = False

            def ready() -> None:
                nonlocal healthy
                if not healthy:
                    _wait_healthy(url, server, log)
                    healthy = True

            # Heartbeats let a server tell a crashed run from a live one; a temporary server
            # runs no service that reads them and ends with the run, so a flow sends none
            # (and does not wait, at its end, for its heartbeat thread to notice).
            with temporary_settings(updates={PREFECT_API_URL: url,
                                             PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
                try:
                    yield ready
                finally:
                    if healthy:
                        _drain()
        finally:
            _stop(server)


def _at_once() -> None:
    """`ready` where the API is not this command's to start: it is there, or Prefect says
    why not when a flow first calls it."""


def _start(port: int, log: object) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
               "--port", str(port), "--no-ui", "--analytics-off", "--log-level", "WARNING"]
    # The variable Prefect sets for its own temporary server: only the services that record
    # what runs do (task runs, events), no scheduler or other background service.
    env = {**os.environ, "PREFECT__SERVER_EPHEMERAL": "1"}
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env)


def _wait_healthy(url: str, server: subprocess.Popen[bytes], log: object) -> None:
    limit = float(os.environ.get(STARTUP_TIMEOUT_ENV) or 120)
    started = time.monotonic()
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() - started > limit:
            log.seek(0)  # type: ignore[attr-defined]
            tail = log.read()[-2000:].decode(errors="replace")  # type: ignore[attr-defined]
            raise ApiServerFailed(f"the temporary Prefect server did not start within "
                                  f"{limit:.0f} s ({STARTUP_TIMEOUT_ENV}): {tail}")
        time.sleep(0.1)


def _drain() -> None:
    """Send the logs and events Prefect still queues while the server is up: Prefect sends
    them at exit, when this server is already gone."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for service in (APILogWorker, EventsWorker):
        service.drain_all(timeout=5)


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
