"""Throw-away servers for tests (slapd, Dovecot): the start-up and shut-down they share.

A `Daemon` runs one real server in the foreground of a child process, with its configuration,
data and logs in a temporary directory, listening on 127.0.0.1 on free ports (`port`, and
`tls_port` for the TLS listener). A subclass writes its files in `_prepare()` and names its
command line in `_command()`; `start()` waits until `port` accepts connections, and `stop()`
(also run at exit, should a session end without its teardown) ends it and removes the
directory. A server that does not come up raises RuntimeError with its logs.
"""

import abc
import atexit
import contextlib
import datetime
import ipaddress
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def dead_port():
    """A port on 127.0.0.1 where a connection is refused, for as long as the block runs.

    The port stays bound (never listening), so no client can be given it as its own source
    port: connecting to a merely unused port in the ephemeral range can, rarely, connect the
    client to itself (TCP simultaneous open), and it then reads back its own request.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


class Daemon(abc.ABC):
    """One server process in its own temporary directory; see the module's docstring."""

    name = "daemon"  # the program, in messages and the directory's name
    install_hint = ""  # how to install it, for the message when it is missing
    start_seconds = 10

    def __init__(self, binary: str | None):
        self.binary = binary
        self.directory = Path(tempfile.mkdtemp(prefix=f"opsdesk-{self.name}-"))
        self.port, self.tls_port = free_port(), free_port()
        self.process: subprocess.Popen | None = None

    def start(self):
        """Write the configuration, start the server and wait until it accepts connections."""
        if not self.binary:
            raise RuntimeError(f"{self.name} is not installed ({self.install_hint})")
        self._prepare()
        with open(self.directory / "stderr.log", "wb") as stderr:
            self.process = subprocess.Popen(self._command(), stdout=subprocess.DEVNULL,
                                            stderr=stderr)
        atexit.register(self.stop)
        self._wait_listening()
        return self

    def stop(self) -> None:
        """Stop the server and remove its directory."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        shutil.rmtree(self.directory, ignore_errors=True)

    @abc.abstractmethod
    def _prepare(self) -> None:
        """Write the configuration and data the server starts from."""

    @abc.abstractmethod
    def _command(self) -> list[str]:
        """The command line that runs the server in the foreground."""

    def _logs(self) -> str:
        """What the server said, for the error when it does not start."""
        return (self.directory / "stderr.log").read_text(errors="replace")

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + self.start_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        logs = self._logs()
        self.stop()
        raise RuntimeError(f"{self.name} did not start:\n{logs}")


def self_signed_write(cert_path: Path, key_path: Path) -> None:
    """A certificate for 127.0.0.1 and localhost, valid for a day (its own CA)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    alt = x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                       x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(alt, critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
