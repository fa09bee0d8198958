"""opsdesk settings: one file, every knob read from the environment.

Local runs need no configuration: SQLite under ./var, a generated secret key kept in
./var/secret_key, DEBUG off unless OPSDESK_DEBUG=1. Production sets OPSDESK_PRODUCTION=1,
SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL; `manage.py check --deploy` is then clean.
"""

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

# --- Single sign-on: OpenID Connect (opsdesk.sso) ---

# --- Multi-factor: TOTP and recovery codes (opsdesk.mfa) ---

# --- Hardening: Content-Security-Policy, headers, outgoing addresses (SSRF) ---

# --- Audit log and hash chains (opsdesk.audit) ---
