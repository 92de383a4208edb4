"""Django settings for Hindsight. Everything a deployment changes comes from the environment;
see the configuration table in README.md."""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from hindsight.lib.env import (
    data_dir,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_secret,
    env_str,
    load_or_create_secret_key,
)

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = data_dir()

DEBUG = env_bool("HINDSIGHT_DEBUG", False)

SECRET_KEY = env_secret("HINDSIGHT_SECRET_KEY") or load_or_create_secret_key(DATA_DIR)

BASE_URL = env_str("HINDSIGHT_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Unset, a page or an export made for a request links to the host and port that request
# came to (lib/http.site_url); only what has no request (notifications, the CLI) uses the
# default above.
BASE_URL_CONFIGURED = bool(env_str("HINDSIGHT_BASE_URL"))
if not BASE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(
        f"HINDSIGHT_BASE_URL must start with http:// or https://, not {BASE_URL!r}"
    )

_base_host = BASE_URL.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[0]
ALLOWED_HOSTS = env_list(
    "HINDSIGHT_ALLOWED_HOSTS", sorted({"localhost", "127.0.0.1", "[::1]", _base_host})
)
CSRF_TRUSTED_ORIGINS = [BASE_URL.split("/", 3)[0] + "//" + BASE_URL.split("/", 3)[2]]

# Behind a TLS-terminating proxy: trust its X-Forwarded-Proto / X-Forwarded-Host.
TRUST_PROXY = env_bool("HINDSIGHT_TRUST_PROXY", False)
if TRUST_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
if BASE_URL.startswith("https://"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "ninja",
    "django_htmx",
    "template_partials",
    "heroicons",
    "hindsight.accounts",
    "hindsight.incidents",
    "hindsight.postmortems",
    "hindsight.reviews",
    "hindsight.notifications",
    "hindsight.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "hindsight.lib.middleware.FixedPolicyCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "hindsight.lib.middleware.PrivateAnswersMiddleware",
    "hindsight.lib.middleware.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Exceptions go up the list: a statement timeout is a 503 before anything is a 500.
    "hindsight.lib.middleware.ApiServerErrorMiddleware",
    "hindsight.lib.middleware.StatementTimeoutMiddleware",
]

ROOT_URLCONF = "hindsight.urls"
WSGI_APPLICATION = "hindsight.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hindsight.web.context.permissions",
            ],
        },
    },
]

# SQLite by default; DATABASE_URL=postgres://… for PostgreSQL.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    try:
        _db = dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)
    except Exception as exc:  # the library raises several kinds for a bad URL
        raise ImproperlyConfigured(f"DATABASE_URL cannot be read: {exc}") from None
else:
    _db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA_DIR / "hindsight.sqlite3")}
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db.setdefault("OPTIONS", {}).update(
        {
            # Writers take the lock when they begin and wait for each other (busy timeout)
            # instead of failing half-way; WAL lets readers continue during a write.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        }
    )
    _db["CONN_MAX_AGE"] = 600
    # Tests use a real file (not shared memory), so locking and WAL behave as in production.
    _db["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
elif _db["ENGINE"] == "django.db.backends.postgresql":
    # A statement that runs longer is cancelled by the server (the request answers 503), so
    # a costly query stops even after its client has gone. Migrations lift it (lib/migrate).
    DB_STATEMENT_TIMEOUT = env_int("HINDSIGHT_DB_STATEMENT_TIMEOUT", 30)
    _options = _db.setdefault("OPTIONS", {})
    # No JIT compilation: the insights' queries have high estimated costs but read indexes
    # in milliseconds, and compiling them took ~90 ms per subquery (measured at 100,000).
    _options["options"] = (_options.get("options", "") + " -c jit=off").strip()
    if DB_STATEMENT_TIMEOUT:
        _options["options"] = (
            _options["options"] + f" -c statement_timeout={DB_STATEMENT_TIMEOUT * 1000}"
        ).strip()
    # The hot reads (lib/compiled.py) ask the server to prepare their statements once per
    # connection: after a few runs it stops planning them on every request (planning a read
    # by id took longer than running it). Django turns preparing off for connection poolers, which a
    # pooler in transaction mode needs (HINDSIGHT_DB_PREPARED_STATEMENTS=false); a threshold
    # this high leaves every other query unprepared, as Django has them.
    DB_PREPARED_STATEMENTS = env_bool("HINDSIGHT_DB_PREPARED_STATEMENTS", True)
    if DB_PREPARED_STATEMENTS:
        _options.setdefault("prepare_threshold", 2**31 - 1)
else:
    raise ImproperlyConfigured("DATABASE_URL must be a postgres:// URL (or unset for SQLite)")
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Every sign-in form is throttled in the backend (web/throttle.py).
AUTHENTICATION_BACKENDS = ["hindsight.web.throttle.ThrottledBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "hindsight.accounts.passwords.NotOnlySpaceValidator"},
]
LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
# WhiteNoise serves straight from the installed packages (no STATIC_ROOT, no collectstatic
# step to forget); files are found once, when a worker starts.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # The insights figures, kept while nothing they count changes (insights/kept.py).
    "insights": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "insights",
        "OPTIONS": {"MAX_ENTRIES": 1000},
    },
    # Printed PDFs, keyed by their entity tag (the report's version and what else they show):
    # WeasyPrint takes seconds for a long report, so a version is printed once per server,
    # not on every download. Files in the data dir; the oldest are culled past MAX_ENTRIES.
    "exports": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "cache" / "exports"),
        "TIMEOUT": 90 * 24 * 3600,
        "OPTIONS": {"MAX_ENTRIES": 2000},
    },
}

# A request body over 1 MiB is refused (413) before it is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

NINJA_PAGINATION_MAX_LIMIT = 100

SECURE_CONTENT_TYPE_NOSNIFF = True
# Browsers keep to https for a year once they have seen it (only sent over https).
if BASE_URL.startswith("https://"):
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = False  # other sites of the domain are not ours to bind

# Every page keeps one policy: scripts, styles and fonts only from this site (no inline
# script), never framed; images from this site (so a report cannot load trackers) plus
# the origins an admin names in HINDSIGHT_CSP_IMG_SRC.
_image_origins = env_list("HINDSIGHT_CSP_IMG_SRC", [])
for _origin in _image_origins:
    if not _origin.startswith("https://") or " " in _origin or ";" in _origin:
        raise ImproperlyConfigured(f"HINDSIGHT_CSP_IMG_SRC takes https:// origins, not {_origin!r}")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", *_image_origins],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Features no page of Hindsight uses, switched off for it and anything it might embed.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("HINDSIGHT_LOG_LEVEL", "WARNING")},
}

# How long after an incident is resolved its post-mortem is due (issue 5 builds on this).
POSTMORTEM_DUE_HOURS = env_int("HINDSIGHT_POSTMORTEM_DUE_HOURS", 48, minimum=1)
# WeasyPrint lays out about 100,000 characters a second here: a longer printable page is
# refused as PDF (the HTML export prints from a browser), so no report holds a worker long.
PDF_MAX_CHARS = env_int("HINDSIGHT_PDF_MAX_CHARS", 1_000_000, minimum=10_000)

# Approvals a post-mortem needs in its current review round before it can be published
# (0: publishing needs none).
REQUIRED_APPROVALS = env_int("HINDSIGHT_REQUIRED_APPROVALS", 0)

# The quality lint (postmortems/lint.py, docs/lint.md): `error` makes lint errors refuse
# submit for review, publish and a create straight into review; its thresholds.
LINT_BLOCK = env_choice("HINDSIGHT_LINT_BLOCK", ("none", "error"), "none")
LINT_TIMELINE_GAP_MINUTES = env_int("HINDSIGHT_LINT_TIMELINE_GAP_MINUTES", 30, minimum=1)
LINT_SUMMARY_WORDS = env_int("HINDSIGHT_LINT_SUMMARY_WORDS", 120, minimum=1)
