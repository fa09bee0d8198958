"""Post a list of bodies with wrk (Debian's `wrk`, a C load generator) instead of Python threads.

The Python load generator (bench/loadgen.py) costs about as much CPU per request as the
cheapest endpoints do, and on a 2-core machine it then measures itself as much as the server.
wrk costs a few microseconds per request. Each body is posted exactly once
(bench/wrk_bodies.lua); the result has the same interface as loadgen.Result for reporting,
with wrk's own latency percentiles (it keeps a histogram, not every sample).
"""

import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("wrk_bodies.lua")


@dataclass
class WrkResult:
    name: str
    clients: int
    elapsed: float
    accepted: int
    errors: int
    p50: float
    p95: float
    p99: float
    first_error: str = ""
    server_cpu: float | None = None

    @property
    def count(self) -> int:
        return self.accepted

    @property
    def rate(self) -> float:
        return self.accepted / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        return {50: self.p50, 95: self.p95, 99: self.p99}[p]

    @property
    def cpu_per_request(self) -> float | None:
        if self.server_cpu is None or not self.accepted:
            return None
        return self.server_cpu / self.accepted * 1000


def available() -> bool:
    return shutil.which("wrk") is not None


def post_bodies(*, url: str, path: str, bodies: list[bytes], clients: int, name: str,
                threads: int = 2, timeout_s: int = 600) -> WrkResult:
    """POST every body once to url+path from `clients` connections; 202 counts as accepted."""
    if any(b"\n" in body for body in bodies):
        raise ValueError("bodies are passed one per line: they must not contain newlines")
    threads = max(1, min(threads, clients))
    with tempfile.NamedTemporaryFile("wb", suffix=".jsonl") as file:
        file.write(b"\n".join(bodies) + b"\n")
        file.flush()
        argv = ["wrk", f"-t{threads}", f"-c{clients}", f"-d{timeout_s}s", "--timeout", "30s",
                "-s", str(SCRIPT), url, "--", path, file.name, str(threads)]
        # wrk runs for its whole -d unless interrupted: stop it (SIGINT, after which it prints
        # its summary) once every thread has had all its bodies answered. The elapsed time
        # is taken here, from starting wrk to the last thread's answer.
        started = time.monotonic()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        finished = 0
        elapsed = None
        lines = []
        for out in proc.stdout:
            lines.append(out)
            if out.startswith("WRK-THREAD-DONE"):
                finished += 1
                if finished == threads:
                    elapsed = time.monotonic() - started
                    proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        stderr = proc.stderr.read()
    line = next((ln for ln in lines if ln.startswith("WRK ")), None)
    if line is None or elapsed is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {stderr or ''.join(lines)}")
    values = dict(re.findall(r"(\w+)=(\d+)", line))
    accepted = int(values["accepted"])
    refused = int(values["refused"])
    return WrkResult(name=name, clients=clients, elapsed=elapsed,
                     accepted=accepted, errors=refused + int(values["errors"]),
                     p50=int(values["p50_us"]) / 1000, p95=int(values["p95_us"]) / 1000,
                     p99=int(values["p99_us"]) / 1000,
                     first_error=f"{refused} posts refused" if refused else "")
