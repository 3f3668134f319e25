"""The worker's supervisor looks for the processes of its tree at a pace of its own: each look
reads every process on the machine, so the steady loop asks for one every LOOK_EVERY seconds,
and a stop asks for one at once."""

from __future__ import annotations

import subprocess
import time

import psutil

from pactwatch.worker import LOOK_EVERY, POLL, Tree


def _grandchild(parent: psutil.Process, timeout: float = 10) -> psutil.Process:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if kids := parent.children():
            return kids[0]
        time.sleep(0.02)
    raise AssertionError("the shell started no process")


def test_a_look_is_skipped_when_the_last_was_recent_and_taken_when_asked_at_once() -> None:
    assert LOOK_EVERY > POLL  # else the steady loop would look at every turn
    root = subprocess.Popen(["sh", "-c", "read line; sleep 30 & wait"], stdin=subprocess.PIPE)
    try:
        tree = Tree(root.pid)
        tree.remember(every=LOOK_EVERY)  # the first look is never skipped
        assert set(tree.known) == {root.pid}
        assert root.stdin is not None
        root.stdin.write(b"go\n")
        root.stdin.flush()
        sleeper = _grandchild(psutil.Process(root.pid))
        tree.remember(every=LOOK_EVERY)
        assert sleeper.pid not in tree.known  # looked less than LOOK_EVERY ago: skipped
        tree.remember()
        assert sleeper.pid in tree.known
    finally:
        for process in psutil.Process(root.pid).children(recursive=True):
            process.kill()
        root.kill()
        root.wait()
