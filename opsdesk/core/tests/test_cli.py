"""The `opsdesk` console script: tokens, pass-through, and `up` end to end."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from opsdesk.accounts.models import ApiToken
from opsdesk.accounts.services import api_token_authenticate
from opsdesk.cli import main
from opsdesk.core.management.supervisor import Child, Supervisor
from opsdesk.core.testing.factories import UserFactory

UP_TIMEOUT = 300  # migrating a fresh database on a busy two-core machine


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


def _token(*args: str) -> tuple[str, str]:
    """Run `token …` in-process (main() would close the test's database connection)."""
    out, err = StringIO(), StringIO()
    call_command("token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_token_create_prints_a_working_token(alice):
    printed, _note = _token("create", "alice", "--name", "monitoring")
    secret = printed.strip()
    assert api_token_authenticate(secret=secret) == alice
    assert alice.api_tokens.get().name == "monitoring"


def test_token_create_for_an_unknown_user_fails_clearly(db):
    with pytest.raises(CommandError, match="nobody"):
        _token("create", "nobody")
    assert not ApiToken.objects.exists()


def test_token_create_for_a_disabled_user_fails(alice):
    alice.is_active = False
    alice.save()
    with pytest.raises(CommandError, match="alice"):
        _token("create", "alice")


def test_token_revoke_stops_the_token(alice):
    secret = _token("create", "alice")[0].strip()
    _token("revoke", secret[:12])
    assert api_token_authenticate(secret=secret) is None
    _token("revoke", secret)  # the whole token works too, and twice is harmless


def test_token_revoke_of_an_unknown_prefix_fails(db):
    with pytest.raises(CommandError, match="odk_nothing"):
        _token("revoke", "odk_nothing")


def test_token_list_shows_prefix_and_state(alice):
    _token("create", "alice", "--name", "ci")
    token = alice.api_tokens.get()
    listing, _err = _token("list", "alice")
    assert token.prefix in listing and "ci" in listing


def test_token_list_for_an_unknown_user_fails(db):
    with pytest.raises(CommandError, match="nobody"):
        _token("list", "nobody")


def test_unknown_command_exits_with_usage(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == 2
    assert "frobnicate" in capsys.readouterr().err


def test_help_lists_the_commands(capsys):
    main([])
    out = capsys.readouterr().out
    assert "up" in out and "token" in out and "manage" in out


def test_manage_passes_through_to_django(capsys):
    main(["manage", "check"])
    assert "0" in capsys.readouterr().out  # "System check identified no issues (0 silenced)."


def test_load_reference_is_safe_to_repeat(db):
    out = StringIO()
    call_command("load_reference", stdout=out)
    assert "0" in out.getvalue()  # the session already loaded them: nothing new


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_supervisor_stops_the_others_when_a_child_dies():
    sleeper = Child("sleeper", _python("import time; time.sleep(60)"))
    crasher = Child("crasher", _python("import time; time.sleep(0.3); raise SystemExit(3)"))
    exited = Supervisor([sleeper, crasher], env=dict(os.environ), cwd=".", grace=5).run()
    assert exited is crasher and crasher.process.returncode == 3
    assert sleeper.process.returncode == -signal.SIGTERM


def test_supervisor_stops_every_child_on_a_signal():
    children = [Child(name, _python("import time; time.sleep(60)")) for name in ("a", "b")]
    threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM)).start()
    assert Supervisor(children, env=dict(os.environ), cwd=".", grace=5).run() is None
    assert all(child.process.returncode == -signal.SIGTERM for child in children)


def test_up_serves_the_site_and_stops_both_children_on_ctrl_c(tmp_path):
    """`opsdesk up --demo` on an empty SQLite data directory, end to end."""
    port = _free_port()
    log_path = tmp_path / "up.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*_opsdesk(), "up", "--demo", "--demo-incidents", "8", "--port", str(port),
             "--workers", "1", "--threads", "2"],
            stdout=log, stderr=subprocess.STDOUT, env=_isolated_env(tmp_path),
            cwd=settings.BASE_DIR)
        try:
            _wait_until_served(port=port, process=process, log_path=log_path)
            _check_token_commands(env=_isolated_env(tmp_path))
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=40) == 0, log_path.read_text()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    output = log_path.read_text()
    pids = [int(pid) for pid in re.findall(r": pid (\d+)", output)]
    assert len(pids) == 2, output
    assert not any(_alive(pid) for pid in pids)
    assert re.search(r"^admin\s+Administrator\s+\S+", output, re.MULTILINE), output


def _check_token_commands(*, env: dict) -> None:
    """The console script prints a token for a demo user and fails with exit 1 for a stranger."""
    run = dict(env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60)
    created = subprocess.run([*_opsdesk(), "token", "create", "desk"], **run)
    assert created.returncode == 0 and created.stdout.strip().startswith("odk_"), created.stderr
    refused = subprocess.run([*_opsdesk(), "token", "create", "nobody"], **run)
    assert refused.returncode == 1 and "nobody" in refused.stderr
    assert refused.stdout == ""


def _opsdesk() -> list[str]:
    """The installed console script, or the same entry point through the interpreter."""
    script = shutil.which("opsdesk", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "opsdesk.cli"]


def _isolated_env(tmp_path: Path) -> dict:
    """Embedded SQLite in a fresh data directory, English output, whatever the test database."""
    env = {**os.environ, "OPSDESK_DATA_DIR": str(tmp_path / "data"), "LANGUAGE_CODE": "en",
           "PYTHONUNBUFFERED": "1"}
    for name in ("DATABASE_URL", "REDIS_URL", "OPSDESK_DEMO_PASSWORD"):
        env.pop(name, None)
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_served(*, port: int, process: subprocess.Popen, log_path: Path) -> None:
    """Poll the OpenAPI document (or the home page while the API is not there) until 200."""
    deadline = time.monotonic() + UP_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, log_path.read_text()
        if _status(port, "/api/v1/openapi.json") == 200 or _status(port, "/") == 200:
            return
        time.sleep(0.5)
    pytest.fail(f"opsdesk up did not answer within {UP_TIMEOUT} s:\n{log_path.read_text()}")


def _status(port: int, path: str) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
