"""A throw-away Dovecot IMAP server for tests: Debian's dovecot-imapd in a temporary directory.

It listens on 127.0.0.1 only, on free ports: plain IMAP (STARTTLS offered) and IMAPS, with a
self-signed certificate for 127.0.0.1 made by `cryptography`. One user (passwd-file, plain
password), Maildir under the directory, log in `dovecot.log`. Each pytest-xdist worker starts
its own instance, and each test gets its own folder (`folder_new`), so tests never see each
other's mail.

Given an `oauth2_introspection_url`, the server also signs in with XOAUTH2 and OAUTHBEARER:
Dovecot 2.3's oauth2 passdb posts each bearer token to that RFC 7662 introspection endpoint
(introspection_mode = post) and lets the user in when the answer says `"active": true` for
that user name (testing/oauth_server.py is such an endpoint). Plain and LOGIN still check the
passwd-file, so tests deliver mail with the password as before.

Dovecot refuses mail access as root (CI runs as root): there the mail processes run as the
unprivileged `dovecot` user, which owns the Maildir; as any other user they run as that user.
"""

import getpass
import itertools
import os
import pwd
import shutil
import subprocess
from pathlib import Path

from imap_tools import MailBoxUnencrypted

from opsdesk.core.testing.daemon import Daemon, self_signed_write
from opsdesk.core.testing.daemon import free_port  # noqa: F401  (tests import it from here)

USER, PASSWORD = "desk", "desk-secret"


def dovecot_binary() -> str | None:
    """The dovecot master binary, if the package is installed."""
    return shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/sbin")


class Dovecot(Daemon):
    """One running Dovecot; `start()` and `stop()` it, `append()` mail, `folder_new()` per test."""

    name = "dovecot"
    install_hint = "apt-get install dovecot-imapd"

    def __init__(self, binary: str | None = None, *, oauth2_introspection_url: str = ""):
        super().__init__(binary or dovecot_binary())
        self.oauth2_introspection_url = oauth2_introspection_url
        self.user, self.password = USER, PASSWORD
        self._folders = itertools.count(1)

    @property
    def cert_path(self) -> Path:
        return self.directory / "cert.pem"

    @property
    def log_path(self) -> Path:
        return self.directory / "dovecot.log"

    def _command(self) -> list[str]:
        return [self.binary, "-F", "-c", str(self.directory / "dovecot.conf")]

    def _prepare(self) -> None:
        _version_check(self.binary)
        # Dovecot's unprivileged processes must reach their sockets and the Maildir.
        self.directory.chmod(0o755)
        for name in ("run", "state", "home"):
            (self.directory / name).mkdir(exist_ok=True)
        account = _mail_account()
        if os.geteuid() == 0:
            os.chown(self.directory / "home", account.pw_uid, account.pw_gid)
        (self.directory / "passwd").write_text(f"{self.user}:{{PLAIN}}{self.password}::::::\n")
        self_signed_write(self.cert_path, self.directory / "key.pem")
        (self.directory / "dovecot.conf").write_text(self._config(account))
        if self.oauth2_introspection_url:
            (self.directory / "oauth2.conf.ext").write_text(
                OAUTH2_CONFIG.format(url=self.oauth2_introspection_url))

    def _config(self, account: pwd.struct_passwd) -> str:
        d = self.directory
        # Without root, every process runs as ourselves and none can chroot.
        internal = "" if os.geteuid() == 0 else (
            f"default_internal_user = {account.pw_name}\n"
            f"default_internal_group = {_group_name(account.pw_gid)}\n"
            f"default_login_user = {account.pw_name}\n")
        oauth2 = bool(self.oauth2_introspection_url)
        anvil = ("" if os.geteuid() == 0 else "  chroot =\n") + (
            # Tests refuse tokens on purpose; without this, each refusal from 127.0.0.1
            # would delay the next login up to 15 s (Dovecot's authentication penalty).
            "  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n" if oauth2 else "")
        internal += f"service anvil {{\n{anvil}}}\n" if anvil else ""
        return CONFIG.format(
            dir=d, port=self.port, tls_port=self.tls_port, uid=account.pw_uid,
            gid=account.pw_gid, internal=internal,
            login_chroot="" if os.geteuid() == 0 else "  chroot =\n",
            mechanisms="plain login xoauth2 oauthbearer" if oauth2 else "plain login",
            oauth2_passdb=OAUTH2_PASSDB.format(dir=d) if oauth2 else "")

    def _logs(self) -> str:
        log = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return f"{super()._logs()}\n{log}"

    def connect(self, folder: str = "INBOX") -> MailBoxUnencrypted:
        """A logged-in imap-tools client on the plain port (use it with `with`)."""
        box = MailBoxUnencrypted("127.0.0.1", self.port, timeout=10)
        return box.login(self.user, self.password, initial_folder=folder)

    def folder_new(self, prefix: str = "T") -> str:
        """Create an empty folder with a unique name, for one test."""
        name = f"{prefix}{os.getpid()}x{next(self._folders)}"
        with self.connect() as box:
            box.folder.create(name)
        return name

    def append(self, raw: bytes, *, folder: str = "INBOX", flags: tuple = ()) -> None:
        """Deliver a message the way a mail client files one: IMAP APPEND."""
        with self.connect(folder) as box:
            box.append(raw, folder, flag_set=flags or None)

    def messages(self, folder: str = "INBOX") -> list[tuple[str, tuple[str, ...]]]:
        """(UID, flags) of every message in the folder, without changing them."""
        with self.connect(folder) as box:
            return [(m.uid, m.flags) for m in box.fetch(mark_seen=False, headers_only=True)]


def _version_check(binary: str) -> None:
    """CONFIG is written in Dovecot 2.3's syntax; 2.4 (Debian 13) renamed most settings."""
    version = subprocess.run([binary, "--version"], capture_output=True, text=True,
                             timeout=10, check=True).stdout.split()
    if version and tuple(int(p) for p in version[0].split(".")[:2]) >= (2, 4):
        raise RuntimeError(f"dovecot {version[0]}: opsdesk/intake/testing/dovecot.py writes a "
                           "Dovecot 2.3 configuration; add the 2.4 one")


def _mail_account() -> pwd.struct_passwd:
    """Whose uid owns the Maildir: ourselves, or `dovecot` when we are root."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid())
    for name in ("dovecot", "dovenull", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("no unprivileged user for dovecot's mail processes")


def _group_name(gid: int) -> str:
    import grp

    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return getpass.getuser()


# Dovecot 2.3 syntax (Debian 12). Plain logins are allowed: tests connect over 127.0.0.1.
CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
{internal}ssl = yes
ssl_cert = <{dir}/cert.pem
ssl_key = <{dir}/key.pem
disable_plaintext_auth = no
auth_mechanisms = {mechanisms}
auth_failure_delay = 0
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_uid = {uid}
mail_gid = {gid}
mail_location = maildir:{dir}/home/%u/Maildir
passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u {dir}/passwd
}}
{oauth2_passdb}userdb {{
  driver = static
  args = home={dir}/home/%u
}}
service imap-login {{
{login_chroot}  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
"""

OAUTH2_PASSDB = """\
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {dir}/oauth2.conf.ext
}}
"""

# The oauth2 passdb's own file (Dovecot 2.3): every token is introspected, none is cached.
OAUTH2_CONFIG = """\
introspection_mode = post
introspection_url = {url}
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
timeout_msecs = 5000
"""
