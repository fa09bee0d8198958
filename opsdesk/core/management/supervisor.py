"""Runs child processes (web server, background worker) and stops them together."""

import ctypes
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

PR_SET_PDEATHSIG = 1


@dataclass
class Child:
    """A named command and, once started, its process."""

    name: str
    argv: list[str]
    process: subprocess.Popen | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Supervisor:
    """Starts the children; on SIGINT/SIGTERM, or as soon as one of them exits, stops them all.

    Each child runs in its own process group, so a Ctrl-C in the terminal reaches only the
    supervisor, which then stops every child in turn: SIGTERM, then SIGKILL after `grace`
    seconds. A second Ctrl-C kills the children at once.
    """

    def __init__(self, children: list[Child], *, env: dict, cwd: str, grace: float = 15.0):
        self.children, self.env, self.cwd, self.grace = children, env, cwd, grace
        self.stopping = False

    def run(self, on_started=None) -> Child | None:
        """Run until a signal (return None) or until a child exits (return that child)."""
        previous = {sig: signal.signal(sig, self._on_signal)
                    for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for child in self.children:
                child.process = self._spawn(child)
            if on_started is not None:
                on_started(self.children)
            return self._wait()
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def stop(self) -> None:
        """Ask every running child to stop; kill those still running after the grace period."""
        running = [child for child in self.children if child.running]
        for child in running:
            child.process.terminate()
        deadline = time.monotonic() + self.grace
        for child in running:
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()

    def _spawn(self, child: Child) -> subprocess.Popen:
        preexec = _die_with_parent if sys.platform.startswith("linux") else None
        return subprocess.Popen(child.argv, env=self.env, cwd=self.cwd, process_group=0,
                                preexec_fn=preexec)

    def _wait(self) -> Child | None:
        while not self.stopping:
            for child in self.children:
                if not child.running:
                    return child
            time.sleep(0.2)
        return None

    def _on_signal(self, signum, frame) -> None:
        if self.stopping:  # asked twice: don't wait for a graceful stop
            for child in self.children:
                if child.running:
                    child.process.kill()
        self.stopping = True


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM if the supervisor is killed before it can stop it."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass
