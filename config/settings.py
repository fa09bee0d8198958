"""opsdesk settings: one file, every knob read from the environment.

Local runs need no configuration: SQLite under ./var, a generated secret key kept in
./var/secret_key, DEBUG off unless OPSDESK_DEBUG=1. Production sets OPSDESK_PRODUCTION=1,
SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL; `manage.py check --deploy` is then clean.
"""

import datetime
import importlib.util
import os
import secrets
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    """Read a yes/no environment variable (1/true/yes/on)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated environment variable."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Where the embedded database, uploaded attachments and the generated key live.
DATA_DIR = Path(os.environ.get("OPSDESK_DATA_DIR", BASE_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

# OPSDESK_PRODUCTION=1 turns on every deployment hardening setting below.
PRODUCTION = env_bool("OPSDESK_PRODUCTION")
DEBUG = env_bool("OPSDESK_DEBUG") and not PRODUCTION


def _secret_key() -> str:
    """SECRET_KEY from the environment; for local runs a random key kept in DATA_DIR."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()

# Secrets kept in the database (notification endpoint secrets, mailbox passwords) are encrypted
# with Fernet (opsdesk/core/crypto.py). OPSDESK_ENCRYPTION_KEYS: comma-separated Fernet keys;
# make one with `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key()
# .decode())"`. The first key encrypts and every key decrypts: to rotate, put a new key first,
# run `manage.py opsdesk_rotate_secrets`, then remove the old key. Empty: a key derived from
# SECRET_KEY with HKDF-SHA256 encrypts, so changing SECRET_KEY without moving its old value to
# SECRET_KEY_FALLBACKS makes the stored secrets unreadable; production should set this knob.
OPSDESK_ENCRYPTION_KEYS = env_list("OPSDESK_ENCRYPTION_KEYS")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # serves the API docs (Swagger UI) from its own static files, not a CDN
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "opsdesk.core",
    "opsdesk.accounts",
    "opsdesk.reference",
    "opsdesk.cmdb",
    "opsdesk.vendors",
    "opsdesk.incidents",
    "opsdesk.sla",
    "opsdesk.api",
    "opsdesk.web",
    "opsdesk.notifications",
    "opsdesk.intake",
    "opsdesk.search",
    "opsdesk.knowledge",
    "opsdesk.catalog",
    "opsdesk.major",
    "opsdesk.problems",
    "opsdesk.collab",
    "opsdesk.reviews",
    "opsdesk.surveys",
    "opsdesk.measures",
    "opsdesk.reporting",
    "opsdesk.audit",
    "opsdesk.sso",
    "opsdesk.mfa",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "opsdesk.web.middleware.UserTimeZoneMiddleware",  # a signed-in person's own time zone
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "opsdesk.web.context_processors.navigation",
            ],
        },
    },
]

# DATABASE_URL selects PostgreSQL (postgres://) or MySQL/MariaDB (mysql://);
# without it the embedded SQLite database lives in DATA_DIR.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'opsdesk.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
_engine = DATABASES["default"]["ENGINE"]
if _engine.endswith("sqlite3"):
    # WAL lets readers work while the worker writes; IMMEDIATE avoids lock-upgrade deadlocks.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Tests use a file, not shared-cache memory, so concurrent tests see real SQLite locking.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"opsdesk_test_{os.getpid()}.sqlite3")}
elif _engine.endswith("mysql"):
    # MySQL/MariaDB have no partial indexes; the composite indexes serve the open queues there.
    SILENCED_SYSTEM_CHECKS = ["models.W037"]
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"charset": "utf8mb4", "isolation_level": "read committed"}
    )
    DATABASES["default"].setdefault("TEST", {}).update(
        {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# REDIS_URL turns on the shared Redis cache (needed with several web processes).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background work goes through the Django Tasks API. OPSDESK_TASKS_BACKEND picks where tasks wait:
# "database" (the default: the database itself, run by `manage.py db_worker`) or "rq" (RQ on the
# Redis at REDIS_URL, run by `manage.py rqworker`; needs `pip install 'opsdesk[rq]'`), or a
# backend's dotted path. `opsdesk up` starts the matching worker.
TASKS_BACKENDS = {"database": "django_tasks_db.DatabaseBackend", "rq": "django_tasks_rq.RQBackend"}
_tasks_backend = os.environ.get("OPSDESK_TASKS_BACKEND", "").strip() or "database"
TASKS = {"default": {"BACKEND": TASKS_BACKENDS.get(_tasks_backend.lower(), _tasks_backend)}}
if TASKS["default"]["BACKEND"] == TASKS_BACKENDS["rq"]:
    # Settings load before translations can, so these two messages stay in English.
    if not REDIS_URL:
        raise ImproperlyConfigured(
            "OPSDESK_TASKS_BACKEND=rq keeps the task queues in Redis: set REDIS_URL as well, "
            "for example REDIS_URL=redis://127.0.0.1:6379/0.")
    if importlib.util.find_spec("django_tasks_rq") is None:
        raise ImproperlyConfigured(
            "OPSDESK_TASKS_BACKEND=rq needs the RQ packages: pip install 'opsdesk[rq]'.")
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    # One queue, "default", which every opsdesk task uses. RQ keeps a finished job's result
    # for 500 s and then forgets it, so nothing needs pruning (core/periodic.py).
    # DEFAULT_TIMEOUT: seconds before RQ stops a task that hangs (the SLA tick on a large
    # backlog takes a while; a notification pass has its own per-request timeouts).
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
    TASKS["default"]["QUEUES"] = list(RQ_QUEUES)

# Outgoing notification mail (opsdesk.notifications) goes over SMTP with Django's mail API.
# EMAIL_HOST/EMAIL_PORT: the relay; EMAIL_HOST_USER/EMAIL_HOST_PASSWORD: its login (empty: none);
# EMAIL_USE_TLS=1 for STARTTLS (port 587), EMAIL_USE_SSL=1 for implicit TLS (port 465);
# EMAIL_TIMEOUT: seconds before a silent relay counts as a failed attempt (it is retried);
# DEFAULT_FROM_EMAIL: the sender, whose domain also names our Message-IDs (mail threading).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "opsdesk <opsdesk@localhost>")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# zh-Hans is the default for Chinese browsers, English for the rest.
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "opsdesk" / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "opsdesk.core.staticfinders.PackageFileFinder",  # plotly.js from the plotly wheel
]
# Attachments are stored outside the web root and only served by a permission-checked view.
MEDIA_ROOT = DATA_DIR / "media"
# Never served directly: the prefix below is routed nowhere (attachments go through a view).
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# OPSDESK_BASE_URL: the address people open opsdesk at, for the links in notification emails
# (the incident page, the confirm/reject links). No trailing slash needed.
OPSDESK_BASE_URL = os.environ.get("OPSDESK_BASE_URL", "http://127.0.0.1:8000")

# Attachment limits: maximum size and the content types that may be uploaded.
OPSDESK_ATTACHMENT_MAX_BYTES = int(os.environ.get("OPSDESK_ATTACHMENT_MAX_MB", "20")) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Request size limits, checked before the body is read (opsdesk/core/upload_limits.py): the
# views that take files (by URL name) accept OPSDESK_UPLOAD_MAX_MB in all (default: one
# attachment's limit plus 5 MB for the form), every other view DATA_UPLOAD_MAX_MEMORY_SIZE.
# Larger bodies get 413 before they arrive. Set the proxy's limit to match (docs/deploy.md).
OPSDESK_UPLOAD_MAX_BYTES = int(os.environ.get(
    "OPSDESK_UPLOAD_MAX_MB", str(OPSDESK_ATTACHMENT_MAX_BYTES // (1024 * 1024) + 5))) * 1024 * 1024
OPSDESK_UPLOAD_VIEWS = frozenset({
    "web:report", "web:desk_log", "web:comment", "web:kb_upload", "web:catalog_order",
    "web:desk_request", "web:settings-calendar-import",
    "api-v1:list_attachments",  # POST adds an attachment (django-ninja names a path by its GET)
    "api-v1:article_attachment_add", "api-v1:order_request",
})
FILE_UPLOAD_HANDLERS = [
    "opsdesk.core.upload_limits.UploadLimitHandler",  # stops a body of unknown length at the limit
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
                  "opsdesk.core.upload_limits.UploadLimitMiddleware")
# OPSDESK_MAIL_MAX_MB: the largest mail IMAP intake fetches. A larger one is not downloaded:
# its headers are, and it becomes an incident (or a reply) saying that it was too large.
OPSDESK_MAIL_MAX_BYTES = int(os.environ.get("OPSDESK_MAIL_MAX_MB", "25")) * 1024 * 1024
OPSDESK_ATTACHMENT_CONTENT_TYPES = env_list(
    "OPSDESK_ATTACHMENT_CONTENT_TYPES",
    ",".join([
        "text/plain", "text/csv", "text/html", "application/json", "application/xml",
        "application/pdf", "application/zip", "application/gzip", "application/x-7z-compressed",
        "image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml", "image/bmp",
        "message/rfc822", "application/msword", "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.ms-outlook",
        # Unknown extensions (dumps, .bin, .dat) are stored as octet-stream and always downloaded.
        "application/octet-stream",
    ]),
)

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the browser UI reads it for htmx requests
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# ---------------------------------------------------------------------------------------------
# Issue 9: sign-in, sessions and hardening. Each part keeps to its own block below.

# --- Sign-in: LDAP / Active Directory, throttling and lock-out, sessions, passwords ---
# Sign-in goes through three backends in order: the lock-out guard (django-axes: refuses a
# locked account or address before any password is checked), local passwords (the admin's
# break-glass accounts), then LDAP / Active Directory (opsdesk/accounts/directory/). See
# docs/architecture.md "Sign-in and sessions".
INSTALLED_APPS += ["axes"]
AUTHENTICATION_BACKENDS = [
    "opsdesk.accounts.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
    "opsdesk.accounts.directory.backend.DirectoryBackend",
]
# After the messages middleware: an expired session leaves a message saying why.
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
                  "opsdesk.accounts.sessions.SessionPolicyMiddleware")
MIDDLEWARE.append("axes.middleware.AxesMiddleware")  # turns a lock-out into our 429 page

# LDAP / Active Directory. OPSDESK_LDAP_URL empty: directory sign-in is off.
# OPSDESK_LDAP_URL: ldap://host:389 or ldaps://host:636; several, comma-separated, are tried in
#   turn. OPSDESK_LDAP_START_TLS=1 upgrades ldap:// with StartTLS. OPSDESK_LDAP_CA_FILE: the CA
#   certificate (PEM) the server's certificate must chain to (empty: the system's CAs);
#   OPSDESK_LDAP_TLS_VERIFY=0 skips the check (never in production).
# OPSDESK_LDAP_BIND_DN / OPSDESK_LDAP_BIND_PASSWORD (or OPSDESK_LDAP_BIND_PASSWORD_FILE, a file
#   holding it, e.g. a mounted secret): the service account that searches the directory.
# OPSDESK_LDAP_USER_SEARCH_BASE, OPSDESK_LDAP_USER_FILTER: where people are and which entries
#   count (AD: (&(objectCategory=person)(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))
#   leaves out disabled accounts). OPSDESK_LDAP_USERNAME_ATTRIBUTE: uid (AD: sAMAccountName).
# OPSDESK_LDAP_ATTRIBUTES: our field=their attribute, comma-separated; fields: display_name,
#   first_name, last_name, email, phone, department (matched to an organisation's code or name;
#   OPSDESK_LDAP_CREATE_DEPARTMENTS=1 creates a missing one).
# OPSDESK_LDAP_GROUP_SEARCH_BASE (default: the user search base), OPSDESK_LDAP_GROUP_FILTER:
#   the groups a person is in; {dn} and {username} are filled in, escaped (AD nested groups:
#   (member:1.2.840.113556.1.4.1941:={dn})).
# OPSDESK_LDAP_ROLE_GROUPS: role=group DN, separated by ";" (roles: desk, engineer, manager,
#   process_owner, admin). OPSDESK_LDAP_SUPPORT_GROUPS: support group code=group DN, ";"-separated.
#   What a group granted is taken away when the person leaves the group.
# OPSDESK_LDAP_TIMEOUT: seconds to wait for the directory.
# With single sign-on on too, the directory owns the fields and roles of everyone it knows (an
# account SSO created is taken over when its email matches; a same user name with another email
# is refused and audited). OPSDESK_LDAP_DEACTIVATE_SSO_ACCOUNTS=1: ldap_sync also deactivates a
# person gone from the directory who signs in by SSO (default: it only takes back what the
# directory granted, and SSO manages the account again).
OPSDESK_LDAP = {
    "URL": os.environ.get("OPSDESK_LDAP_URL", ""),
    "START_TLS": env_bool("OPSDESK_LDAP_START_TLS"),
    "CA_FILE": os.environ.get("OPSDESK_LDAP_CA_FILE", ""),
    "TLS_VERIFY": env_bool("OPSDESK_LDAP_TLS_VERIFY", True),
    "BIND_DN": os.environ.get("OPSDESK_LDAP_BIND_DN", ""),
    "BIND_PASSWORD": os.environ.get("OPSDESK_LDAP_BIND_PASSWORD", ""),
    "BIND_PASSWORD_FILE": os.environ.get("OPSDESK_LDAP_BIND_PASSWORD_FILE", ""),
    "USER_SEARCH_BASE": os.environ.get("OPSDESK_LDAP_USER_SEARCH_BASE", ""),
    "USER_FILTER": os.environ.get("OPSDESK_LDAP_USER_FILTER", "(objectClass=inetOrgPerson)"),
    "USERNAME_ATTRIBUTE": os.environ.get("OPSDESK_LDAP_USERNAME_ATTRIBUTE", "uid"),
    "ATTRIBUTES": os.environ.get(
        "OPSDESK_LDAP_ATTRIBUTES",
        "display_name=displayName,first_name=givenName,last_name=sn,email=mail,"
        "phone=telephoneNumber,department=departmentNumber"),
    "CREATE_DEPARTMENTS": env_bool("OPSDESK_LDAP_CREATE_DEPARTMENTS", True),
    "GROUP_SEARCH_BASE": os.environ.get("OPSDESK_LDAP_GROUP_SEARCH_BASE", ""),
    "GROUP_FILTER": os.environ.get(
        "OPSDESK_LDAP_GROUP_FILTER", "(|(member={dn})(uniqueMember={dn})(memberUid={username}))"),
    "ROLE_GROUPS": os.environ.get("OPSDESK_LDAP_ROLE_GROUPS", ""),
    "SUPPORT_GROUPS": os.environ.get("OPSDESK_LDAP_SUPPORT_GROUPS", ""),
    "TIMEOUT": int(os.environ.get("OPSDESK_LDAP_TIMEOUT", "10")),
    "DEACTIVATE_SSO_ACCOUNTS": env_bool("OPSDESK_LDAP_DEACTIVATE_SSO_ACCOUNTS"),
}

# Lock-out (django-axes, counted in the database, so every web process sees the same count).
# OPSDESK_LOGIN_FAILURE_LIMIT failed sign-ins for one user name, or OPSDESK_LOGIN_IP_FAILURE_LIMIT
# from one address (higher: an office behind one NAT address), lock that name or address for
# OPSDESK_LOGIN_LOCKOUT_MINUTES after the last failure. Administrators unlock under
# Admin → Users ("Unlock sign-in") or Access attempts. OPSDESK_LOGIN_PROXY_COUNT: how many
# reverse proxies append to X-Forwarded-For in front of opsdesk (0: use the peer's address).
AXES_FAILURE_LIMIT = int(os.environ.get("OPSDESK_LOGIN_FAILURE_LIMIT", "5"))
OPSDESK_LOGIN_IP_FAILURE_LIMIT = int(os.environ.get("OPSDESK_LOGIN_IP_FAILURE_LIMIT", "30"))
AXES_COOLOFF_TIME = datetime.timedelta(
    minutes=int(os.environ.get("OPSDESK_LOGIN_LOCKOUT_MINUTES", "15")))
OPSDESK_LOGIN_PROXY_COUNT = int(os.environ.get("OPSDESK_LOGIN_PROXY_COUNT", "0"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # order matters: lockout.LockoutHandler
AXES_HANDLER = "opsdesk.accounts.lockout.LockoutHandler"
AXES_LOCKOUT_CALLABLE = "opsdesk.accounts.lockout.lockout_response"
AXES_USERNAME_CALLABLE = "opsdesk.accounts.lockout.username_of"
AXES_CLIENT_IP_CALLABLE = "opsdesk.accounts.lockout.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the "try again at" time holds
AXES_ENABLE_ADMIN = False  # registered on our own admin site instead (accounts/admin.py)
AXES_SENSITIVE_PARAMETERS = ["password"]
AXES_VERBOSE = False
LOGGING["loggers"]["axes"] = {"level": "WARNING"}  # a line per sign-in otherwise

# Sessions end after OPSDESK_SESSION_IDLE_MINUTES without a request (default 8 h: a working day
# with the page left open) and OPSDESK_SESSION_MAX_HOURS after sign-in whatever happens
# (default 24 h: everyone signs in once a day). "Sign out everywhere" on the profile page, a
# password change and the admin's action end a person's other sessions (accounts/sessions.py).
# The profile lists one's sessions (device, address, times) and signs out any one of them; the
# admin does the same under Signed-in sessions (accounts/usersessions.py).
OPSDESK_SESSION_IDLE_SECONDS = int(os.environ.get("OPSDESK_SESSION_IDLE_MINUTES", "480")) * 60
OPSDESK_SESSION_MAX_SECONDS = int(os.environ.get("OPSDESK_SESSION_MAX_HOURS", "24")) * 3600
SESSION_COOKIE_AGE = OPSDESK_SESSION_MAX_SECONDS
# OPSDESK_SESSION_STORE: where session data lives. "db" (default), or "cache" / "cached_db" in
# the Redis cache (REDIS_URL; a per-process cache would sign people out between processes).
OPSDESK_SESSION_STORE = os.environ.get("OPSDESK_SESSION_STORE", "db")
if OPSDESK_SESSION_STORE not in ("db", "cache", "cached_db"):
    raise ImproperlyConfigured("OPSDESK_SESSION_STORE is db, cache or cached_db.")
if OPSDESK_SESSION_STORE != "db" and not REDIS_URL:
    raise ImproperlyConfigured(
        f"OPSDESK_SESSION_STORE={OPSDESK_SESSION_STORE} keeps sessions in the cache: set "
        "REDIS_URL as well, for example REDIS_URL=redis://127.0.0.1:6379/0.")
SESSION_ENGINE = f"django.contrib.sessions.backends.{OPSDESK_SESSION_STORE}"

# Local passwords (accounts/passwords.py): at least OPSDESK_PASSWORD_MIN_LENGTH characters from
# OPSDESK_PASSWORD_MIN_CLASSES of: lower case, upper case, digits, other (symbols, Chinese);
# not a common password, not all digits, not like the user's name or email
# (OPSDESK_PASSWORD_MAX_SIMILARITY, 0-1), and containing none of OPSDESK_PASSWORD_BANNED_WORDS
# (comma-separated, case-insensitive: the company's name, products...).
OPSDESK_PASSWORD_MIN_LENGTH = int(os.environ.get("OPSDESK_PASSWORD_MIN_LENGTH", "12"))
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ("username", "display_name", "first_name", "last_name",
                                     "email"),
                 "max_similarity": float(os.environ.get("OPSDESK_PASSWORD_MAX_SIMILARITY",
                                                        "0.7"))}},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": OPSDESK_PASSWORD_MIN_LENGTH}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "opsdesk.accounts.passwords.PolicyValidator",
     "OPTIONS": {"min_classes": int(os.environ.get("OPSDESK_PASSWORD_MIN_CLASSES", "3")),
                 "banned_words": env_list("OPSDESK_PASSWORD_BANNED_WORDS", "opsdesk")}},
]


# --- Single sign-on: OpenID Connect (opsdesk.sso) ---
# OpenID Connect single sign-on (authorization code + PKCE; opsdesk/sso). Off unless both
# OPSDESK_OIDC_ISSUER and OPSDESK_OIDC_CLIENT_ID are set. Register opsdesk at the provider with
# the redirect URI <site>/sso/callback/ and the post-logout redirect URI <site>/login/.
# OPSDESK_OIDC_ISSUER: the issuer URL (https://login.example.com/realms/corp); the endpoints
#   and keys are read from <issuer>/.well-known/openid-configuration.
# OPSDESK_OIDC_CLIENT_ID / OPSDESK_OIDC_CLIENT_SECRET: opsdesk's client at the provider (an
#   empty secret: a public client, PKCE only). OPSDESK_OIDC_SCOPES: requested scopes (must
#   include openid; add e.g. "groups" if the provider sends groups only for that scope).
# OPSDESK_OIDC_LABEL: the provider's name on the "Sign in with ..." button.
# OPSDESK_OIDC_CLAIMS: JSON, our field → claim, over the defaults {"first_name": "given_name",
#   "last_name": "family_name", "display_name": "name", "email": "email", "phone":
#   "phone_number", "department": ""}; fields: those and department (an organisation's code or
#   name; an unknown one leaves the department as it is); "" leaves a field alone.
# OPSDESK_OIDC_GROUPS_CLAIM: the claim listing the person's groups (default "groups").
# OPSDESK_OIDC_GROUP_ROLES: JSON, group → role or [roles] (desk, engineer, manager,
#   process_owner, admin), e.g. {"opsdesk-desk": "desk", "CN=Ops,OU=Groups,DC=corp": ["engineer"]}.
#   Each sign-in grants the mapped roles of the person's groups and revokes the mapped roles of
#   groups they left; roles that no group maps to stay as an administrator set them.
# OPSDESK_OIDC_CREATE_USERS: create an account for a person opsdesk does not know (default 1).
# OPSDESK_OIDC_MATCH_CLAIM: email or preferred_username: how a first sign-in finds an existing
#   account (later ones use the provider's subject id). An email the provider says is not
#   verified (email_verified false) is not matched.
# OPSDESK_OIDC_ONLY=1: the sign-in page goes straight to the provider and only administrators
#   may still sign in with a password, at /login/?local=1 (break-glass).
# OPSDESK_OIDC_TIMEOUT: seconds to wait for the provider.
# Back-channel logout: register <site>/sso/backchannel-logout/ at the provider (with "sid"
#   required if it asks); its signed logout tokens end the matching opsdesk sessions at once.
# OPSDESK_OIDC_ROLES_RECHECK_MINUTES: check an SSO session's roles again at the provider after
#   this many minutes (refresh token grant + userinfo groups; needs the provider to issue refresh
#   tokens, e.g. scope offline_access at some); a refused refresh ends the session. 0 (default):
#   roles change at sign-in only.
def _sso_env_json(name: str) -> dict:
    """A JSON object from the environment; bad JSON stops start-up with the variable named."""
    import json

    try:
        value = json.loads(os.environ.get(name) or "{}")
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} is not valid JSON: {error}") from error
    if not isinstance(value, dict):
        raise ImproperlyConfigured(f"{name} must be a JSON object ({{...}}).")
    return value


OPSDESK_OIDC_ISSUER = os.environ.get("OPSDESK_OIDC_ISSUER", "").strip()
OPSDESK_OIDC_CLIENT_ID = os.environ.get("OPSDESK_OIDC_CLIENT_ID", "").strip()
OPSDESK_OIDC_CLIENT_SECRET = os.environ.get("OPSDESK_OIDC_CLIENT_SECRET", "")
OPSDESK_OIDC_SCOPES = os.environ.get("OPSDESK_OIDC_SCOPES", "openid email profile")
OPSDESK_OIDC_LABEL = os.environ.get("OPSDESK_OIDC_LABEL", "SSO")
OPSDESK_OIDC_CLAIMS = _sso_env_json("OPSDESK_OIDC_CLAIMS")
OPSDESK_OIDC_GROUPS_CLAIM = os.environ.get("OPSDESK_OIDC_GROUPS_CLAIM", "groups")
OPSDESK_OIDC_GROUP_ROLES = _sso_env_json("OPSDESK_OIDC_GROUP_ROLES")
OPSDESK_OIDC_CREATE_USERS = env_bool("OPSDESK_OIDC_CREATE_USERS", True)
OPSDESK_OIDC_MATCH_CLAIM = os.environ.get("OPSDESK_OIDC_MATCH_CLAIM", "email")
OPSDESK_OIDC_ONLY = env_bool("OPSDESK_OIDC_ONLY")
OPSDESK_OIDC_TIMEOUT = float(os.environ.get("OPSDESK_OIDC_TIMEOUT", "10"))
OPSDESK_OIDC_ROLES_RECHECK_SECONDS = int(os.environ.get("OPSDESK_OIDC_ROLES_RECHECK_MINUTES",
                                                      "0")) * 60
# The policy backend first (with OPSDESK_OIDC_ONLY it refuses non-admin passwords before any
# password backend runs); OidcBackend keeps SSO sessions valid and checks no password.
AUTHENTICATION_BACKENDS = [
    "opsdesk.sso.backends.PasswordSignInPolicyBackend",
    *globals().get("AUTHENTICATION_BACKENDS", ["django.contrib.auth.backends.ModelBackend"]),
    "opsdesk.sso.backends.OidcBackend",
]
MIDDLEWARE.append("opsdesk.sso.middleware.SingleSignOnMiddleware")  # provider logout, SSO-only


# --- Multi-factor: TOTP and recovery codes (opsdesk.mfa) ---
# django-otp devices: an authenticator app's TOTP key (encrypted) and the one-time recovery codes
# (keyed digests only, opsdesk.mfa.models.RecoveryDevice; otp_static stays installed for the
# migration that moved its plain codes).
# OTPMiddleware marks a session verified; opsdesk.mfa's middleware, right after it, sends a
# signed-in person who owes a second factor to /mfa/verify/ (or, when their role requires it and
# they have no app yet, to /mfa/) before anything else. The roles it is required for, and whether
# single sign-on counts, are the administrator's choice at /mfa/settings/.
# The authenticator apps are opsdesk.mfa's own `Authenticator` devices, their TOTP secrets
# encrypted with OPSDESK_ENCRYPTION_KEYS (above; rotated by `opsdesk_rotate_secrets`).
# django-otp's otp_totp stays installed only for the migration that moved its plain-text
# devices over; its table stays empty.
INSTALLED_APPS += ["django_otp", "django_otp.plugins.otp_totp", "django_otp.plugins.otp_static"]
if "django_otp.middleware.OTPMiddleware" not in MIDDLEWARE:
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "django_otp.middleware.OTPMiddleware")
MIDDLEWARE.insert(MIDDLEWARE.index("django_otp.middleware.OTPMiddleware") + 1,
                  "opsdesk.mfa.middleware.MfaMiddleware")
# OPSDESK_MFA_ISSUER: the name the authenticator app shows next to the account.
OTP_TOTP_ISSUER = os.environ.get("OPSDESK_MFA_ISSUER", "opsdesk")
# OPSDESK_MFA_MAX_FAILURES wrong codes in a row, then no code is accepted for
# OPSDESK_MFA_LOCKOUT_MINUTES (counted per person in the database: every web process agrees).
# django-otp's own growing delays are off: this count replaces them.
OPSDESK_MFA_MAX_FAILURES = int(os.environ.get("OPSDESK_MFA_MAX_FAILURES", "5"))
OPSDESK_MFA_LOCKOUT_SECONDS = int(os.environ.get("OPSDESK_MFA_LOCKOUT_MINUTES", "5")) * 60
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0

# --- Hardening: Content-Security-Policy, headers, outgoing addresses (SSRF) ---
# Every response carries a strict Content-Security-Policy (django-csp): scripts and styles only
# from our own static files (no inline script, no eval), no plugins, no framing, forms post only
# to us. Stored files are served with their own sandbox policy (core/downloads.py). The policy,
# and why plotly's chart pages need no exception, are in docs/architecture.md ("Hardening").
from opsdesk.core.security import plotly_style_hashes  # noqa: E402  (reads no settings)

INSTALLED_APPS += ["csp"]
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "csp.middleware.CSPMiddleware")
MIDDLEWARE.insert(MIDDLEWARE.index("csp.middleware.CSPMiddleware") + 1,
                  "django_permissions_policy.PermissionsPolicyMiddleware")
CONTENT_SECURITY_POLICY = {"DIRECTIVES": {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    # The hashes allow exactly the two <style> texts plotly.js adds (core/security.py).
    "style-src": ["'self'", *plotly_style_hashes()],
    "img-src": ["'self'", "data:"],  # data: for the icons of plotly's and Swagger UI's toolbars
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}}
# Browser features no opsdesk page uses are switched off for every page and anything it embeds.
PERMISSIONS_POLICY = {feature: [] for feature in (
    "accelerometer", "camera", "display-capture", "geolocation", "gyroscope", "hid",
    "magnetometer", "microphone", "midi", "payment", "serial", "usb", "browsing-topics")}
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True  # only the server reads it (the switch is a form post)
if PRODUCTION:
    LANGUAGE_COOKIE_SECURE = True

# OPSDESK_OUTBOUND_ALLOW: internal addresses that outgoing requests (webhooks, WeCom/DingTalk/
# Feishu robots, a mailbox's OAuth2 token endpoint) may reach after all, comma-separated: CIDRs
# ("10.20.0.0/16"), addresses ("192.0.2.7") or host names ("hooks.corp.example"; ".corp.example"
# for every name under it). Empty (the default): loopback, private, link-local (169.254.169.254,
# the cloud metadata service), unique-local, multicast and other non-public addresses are refused
# when the URL is saved and again when connecting (opsdesk/core/netguard.py).
OPSDESK_OUTBOUND_ALLOW = env_list("OPSDESK_OUTBOUND_ALLOW")

# --- Audit log and hash chains (opsdesk.audit) ---
# Security events (sign-in, roles, tokens, configuration, exports, MFA) go to an append-only
# audit log at /audit/ on one SHA-256 hash chain; the incident history is chained per incident.
# `manage.py audit_verify` checks both. AuditMiddleware makes the request known to the log (IP,
# user agent, actor) and records configuration changes: a POST under one of
# AUDIT_CONFIG_PATHS answered with a redirect (a saved settings form), and admin actions on
# several rows. AUDIT_TOKEN_USED_INTERVAL: seconds between two "token used" events of one token.
MIDDLEWARE.append("opsdesk.audit.middleware.AuditMiddleware")
AUDIT_CONFIG_PATHS = ["/settings/", "/mfa/settings/", "/sso/settings/"]
AUDIT_ADMIN_PATH = "/admin/"
AUDIT_TOKEN_USED_INTERVAL = int(os.environ.get("AUDIT_TOKEN_USED_INTERVAL", "3600"))

# --- Reporting replica ---
# OPSDESK_REPORTS_DATABASE_URL: a read-only copy of the database (a PostgreSQL hot standby or a
# MariaDB replica), written like DATABASE_URL. Set, it becomes the `reports` alias, and the KPI
# pages, dashboards, process analysis, exports and scheduled reports read from it
# (opsdesk/core/dbrouter.py); everything else, and every write, uses DATABASE_URL. Empty (the
# default): everything reads and writes DATABASE_URL as before.
# OPSDESK_REPORTS_CONNECT_TIMEOUT: seconds to wait for the replica before a report reads the
# primary instead; OPSDESK_REPORTS_RETRY_SECONDS: how long a process then leaves it alone.
OPSDESK_REPORTS_DATABASE_URL = os.environ.get("OPSDESK_REPORTS_DATABASE_URL", "").strip()
OPSDESK_REPORTS_RETRY_SECONDS = int(os.environ.get("OPSDESK_REPORTS_RETRY_SECONDS", "30"))
DATABASE_ROUTERS = ["opsdesk.core.dbrouter.ReportingRouter"]
if OPSDESK_REPORTS_DATABASE_URL:
    DATABASES["reports"] = dj_database_url.parse(
        OPSDESK_REPORTS_DATABASE_URL,
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    _reports_timeout = int(os.environ.get("OPSDESK_REPORTS_CONNECT_TIMEOUT", "3"))
    _reports_engine = DATABASES["reports"]["ENGINE"]
    if _reports_engine.endswith("postgresql"):
        DATABASES["reports"].setdefault("OPTIONS", {})["connect_timeout"] = _reports_timeout
    elif _reports_engine.endswith("mysql"):
        DATABASES["reports"].setdefault("OPTIONS", {}).update(
            {"charset": "utf8mb4", "isolation_level": "read committed",
             "connect_timeout": _reports_timeout})
    # Tests: the replica is the test database itself (no second test database is made).
    DATABASES["reports"]["TEST"] = {"MIRROR": "default"}

# --- Security review (docs/security-review.md) ---
# A NUL character in an address is a 400 before any view runs (it was a 500 on PostgreSQL);
# a response that sets no Cache-Control of its own is marked private, no-store (pages and API
# answers show people and their incidents). opsdesk/core/middleware.py.
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware")
                  + 1, "opsdesk.core.middleware.NulRefusalMiddleware")
MIDDLEWARE.append("opsdesk.core.middleware.NoStoreMiddleware")
