"""A small closed-loop HTTP load generator: N client threads, each on its own keep-alive
connection, each sending its next request as soon as the previous answer arrived.

Standard library only, so it runs wherever the project runs. Every run is bounded both in
time and in request count, and only talks to the address it is given (loopback here).
"""

import http.client
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# (method, path, body or None) for the i-th request of a run.
RequestMaker = Callable[[int, random.Random], tuple[str, str, bytes | None]]


@dataclass
class Result:
    """Latencies (seconds) of the successful requests of one scenario, and what failed."""

    name: str
    clients: int
    elapsed: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    first_error: str = ""
    server_cpu: float | None = None  # CPU seconds the server side used during the run

    @property
    def cpu_per_request(self) -> float | None:
        """Server CPU milliseconds per successful request, when it was measured."""
        if self.server_cpu is None or not self.latencies:
            return None
        return self.server_cpu / len(self.latencies) * 1000

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile in milliseconds (0 when nothing succeeded)."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
        return ordered[rank - 1] * 1000

    def as_dict(self) -> dict:
        return {"name": self.name, "clients": self.clients, "requests": self.count,
                "errors": self.errors, "rate": round(self.rate, 1),
                "p50_ms": round(self.percentile(50), 2), "p95_ms": round(self.percentile(95), 2),
                "p99_ms": round(self.percentile(99), 2), "statuses": self.statuses,
                "server_cpu_ms_per_request": None if self.cpu_per_request is None
                else round(self.cpu_per_request, 2)}


class Connection:
    """One keep-alive HTTP connection to base_url; reconnects when the server closes it."""

    def __init__(self, base_url: str, headers: dict[str, str]):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self.headers = headers
        self.conn: http.client.HTTPConnection | None = None

    def send(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.conn.request(method, self.prefix + path, body=body, headers=self.headers)
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()  # a server that closed an idle connection: try once more
                if attempt == 2:
                    raise
                continue
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return response.status, data
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def run(*, name: str, base_url: str, headers: dict[str, str], make: RequestMaker,
        clients: int, seconds: float, max_requests: int, expect: int = 200,
        seed: int = 0) -> Result:
    """Send requests from `clients` threads until `seconds` pass or `max_requests` were sent."""
    result = Result(name=name, clients=clients, elapsed=0.0)
    lock = threading.Lock()
    counter = iter(range(max_requests))
    deadline = time.perf_counter() + seconds

    def client(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        connection = Connection(base_url, headers)
        latencies, statuses, errors, first_error = [], {}, 0, ""
        while time.perf_counter() < deadline:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            method, path, body = make(i, rng)
            started = time.perf_counter()
            try:
                status, data = connection.send(method, path, body)
            except OSError as exc:
                errors, first_error = errors + 1, first_error or repr(exc)
                connection.close()
                continue
            elapsed = time.perf_counter() - started
            statuses[status] = statuses.get(status, 0) + 1
            if status == expect:
                latencies.append(elapsed)
            else:
                errors += 1
                first_error = first_error or f"{status} {data[:300]!r}"
        connection.close()
        with lock:
            result.latencies.extend(latencies)
            result.errors += errors
            result.first_error = result.first_error or first_error
            for status, n in statuses.items():
                result.statuses[status] = result.statuses.get(status, 0) + n

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    result.elapsed = time.perf_counter() - started
    return result
