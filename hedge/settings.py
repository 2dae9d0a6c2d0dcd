"""hedge settings, read from the environment (and from a ``.env`` file beside manage.py, if any:
``HEDGE_ENV_FILE`` names another file, or none when empty).

Every variable is optional for a first run on SQLite with ``DEBUG=true``; production must set
``SECRET_KEY``, ``ALLOWED_HOSTS`` and ``DATABASE_URL``. A malformed value stops start-up with
an ``ImproperlyConfigured`` error that names the variable.
"""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# HEDGE_ENV_FILE names another file to read; empty reads none (the tests, so a developer's .env plays no part).
_ENV_FILE = os.environ.get("HEDGE_ENV_FILE", str(BASE_DIR / ".env"))
if _ENV_FILE:
    environ.Env.read_env(_ENV_FILE)

_TRUE = {"1", "true", "yes", "on", "y", "t"}
_FALSE = {"0", "false", "no", "off", "n", "f", ""}


def _env_bool(name: str, default: bool) -> bool:
    raw = env.str(name, default=None)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false, 1/0, yes/no, on/off), got {raw!r}")


def _env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = env.str(name, default=None)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be >= {minimum}, got {value}")
    return value


def _env_database(name: str, default: str) -> dict:
    return _database_config(name, env.str(name, default=default))


def _database_config(name: str, url: str) -> dict:
    if not url.startswith(("sqlite://", "postgres://", "postgresql://", "pgsql://")):
        raise ImproperlyConfigured(f"{name} must be a sqlite:/// or postgres:// URL, got {url.split('@')[-1]!r}")
    config = env.db_url_config(url)
    if not config.get("NAME"):
        raise ImproperlyConfigured(f"{name} does not name a database: {url.split('@')[-1]!r}")
    return config


def _env_throttle_rate(name: str, default: str) -> str | None:
    import re

    value = env.str(name, default=default).strip().lower()
    if value in {"", "off", "none"}:
        return None
    if not re.fullmatch(r"[1-9][0-9]*/(second|minute|hour|day|s|m|h|d)", value):
        raise ImproperlyConfigured(f"{name} must be a rate such as 600/minute (per second, minute, hour or day) or off")
    return value


def _env_networks(name: str) -> list[str]:
    import ipaddress

    networks = env.list(name, default=[])
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            message = f"{name} must list IP addresses or networks (10.0.0.0/8), got {network!r}"
            raise ImproperlyConfigured(message) from None
    return networks


def _env_timezone(name: str, default: str) -> str:
    import zoneinfo

    value = env.str(name, default=default)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name} must be an IANA time zone such as Europe/Berlin, got {value!r}") from None
    return value


DEBUG = _env_bool("DEBUG", False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (for local development set DEBUG=true, e.g. in a .env file)"
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "hedge",
    "hedge.challenges",
    "seasons",
    "leaderboards",
    # Before prizes: its moves at period end are written before the final run's awards read them (tier prizes).
    "leagues",
    "prizes",
    "profiles",
    # After every app whose hooks it receives (prizes included), so their receivers run first.
    "events",
]

MIDDLEWARE = [
    "hedge.core.middleware.HealthCheckMiddleware",
    # CORS headers on every API response, errors included; only the API (CORS_URLS_REGEX).
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Compresses what the middleware below and the views answer (whitenoise serves static files pre-compressed).
    "django.middleware.gzip.GZipMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Public API requests: reads to the replicas, statement timeout, JSON 503 when the database fails.
    "hedge.core.middleware.PublicApiMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Attributes model history (simple_history) to the staff user of the request.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Answers a locked-out admin login (django-axes); last, as its documentation asks.
    "axes.middleware.AxesMiddleware",
]

# Admin login throttling (django-axes): after ADMIN_LOGIN_FAILURE_LIMIT wrong passwords for one
# username from one client IP (the same address the API throttles, see NUM_PROXIES), that username
# is refused from that address, and after ADMIN_LOGIN_IP_FAILURE_LIMIT wrong passwords from one
# address across usernames (spraying), that address is refused, each for ADMIN_LOGIN_LOCKOUT_MINUTES.
# A username alone is never locked: anyone could lock `admin` out from anywhere (hedge.core.lockout).
# `manage.py axes_reset` lifts every lockout (axes_reset_username NAME, axes_reset_ip ADDRESS for one).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_HANDLER = "hedge.core.lockout.LoginLockoutHandler"
AXES_FAILURE_LIMIT = _env_int("ADMIN_LOGIN_FAILURE_LIMIT", 5, minimum=1)
HEDGE_LOGIN_IP_FAILURE_LIMIT = _env_int("ADMIN_LOGIN_IP_FAILURE_LIMIT", 20, minimum=AXES_FAILURE_LIMIT)
AXES_COOLOFF_TIME = _env_int("ADMIN_LOGIN_LOCKOUT_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]  # in the order hedge.core.lockout reads them
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "hedge.core.api.client_ip"

ROOT_URLCONF = "hedge.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],  # the admin's pages (templates/admin/)
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "hedge.wsgi.application"

# The zero-set-up default is a SQLite file in the repository root; production uses
# DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/NAME.
DATABASES = {"default": _env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock when a transaction starts, so two writers queue up
    # (for up to `timeout` seconds) instead of failing half-way with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 30})

# Read replicas (PostgreSQL): the public API's reads go to them (hedge.core.routers); the admin,
# commands and every write use the primary. Aliases replica_1, replica_2, ... in this order.
DATABASE_REPLICAS = []
for _number, _url in enumerate(env.list("DATABASE_REPLICA_URLS", default=[]), start=1):
    _replica = _database_config("DATABASE_REPLICA_URLS", _url)
    if _replica["ENGINE"] == "django.db.backends.sqlite3" or DATABASES["default"]["ENGINE"] != _replica["ENGINE"]:
        raise ImproperlyConfigured("DATABASE_REPLICA_URLS must name PostgreSQL replicas of a PostgreSQL DATABASE_URL")
    DATABASES[f"replica_{_number}"] = {**_replica, "TEST": {"MIRROR": "default"}}
    DATABASE_REPLICAS.append(f"replica_{_number}")
DATABASE_ROUTERS = ["hedge.core.routers.PublicApiReplicaRouter"]

# Persistent connections: opening a PostgreSQL connection per request costs more than the
# request (README: ~120 req/s with 0, ~520 req/s with 60 under 32 clients). Off under DEBUG, whose
# development server starts a thread, and so a connection, per request.
# A database that accepts connections but never answers fails a connection attempt after
# DATABASE_CONNECT_TIMEOUT seconds, not gunicorn's worker timeout; /healthz then answers 503.
DATABASE_CONNECT_TIMEOUT = _env_int("DATABASE_CONNECT_TIMEOUT", 3, minimum=1)
# Seconds a statement made while serving the public API may run (PostgreSQL; 0: no limit). The API
# then answers 503 instead of holding a worker; the admin, commands and cron keep no limit.
API_STATEMENT_TIMEOUT = _env_int("API_STATEMENT_TIMEOUT", 2)
# A database host or network that dies under an open connection is noticed by the kernel: data
# unacknowledged for DATABASE_TCP_USER_TIMEOUT seconds, or an idle connection whose keepalive probes
# go unanswered for 10 + 3 x 2 s, fails the connection instead of leaving the driver waiting (web
# workers, the admin and commands alike).
DATABASE_TCP_USER_TIMEOUT = _env_int("DATABASE_TCP_USER_TIMEOUT", 5, minimum=1)
# A database that is alive at the TCP level but no longer answers (a frozen pooler or server) is
# noticed only by a deadline on the client's side (hedge.core.watchdog): a public API request or
# /healthz gives up on the database after API_DATABASE_TIMEOUT seconds in all (503), an admin
# page after ADMIN_DATABASE_TIMEOUT (below gunicorn's --timeout, so the page says why); 0: none.
API_DATABASE_TIMEOUT = _env_int("API_DATABASE_TIMEOUT", 2)
ADMIN_DATABASE_TIMEOUT = _env_int("ADMIN_DATABASE_TIMEOUT", 110)
for _alias in DATABASES:
    DATABASES[_alias]["CONN_MAX_AGE"] = _env_int("CONN_MAX_AGE", 0 if DEBUG else 60)
    DATABASES[_alias]["CONN_HEALTH_CHECKS"] = _env_bool("CONN_HEALTH_CHECKS", not DEBUG)
    if DATABASES[_alias]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES[_alias].setdefault("OPTIONS", {}).update(
            {
                "connect_timeout": DATABASE_CONNECT_TIMEOUT,
                "tcp_user_timeout": DATABASE_TCP_USER_TIMEOUT * 1000,  # milliseconds
                "keepalives": 1,
                "keepalives_idle": 10,
                "keepalives_interval": 2,
                "keepalives_count": 3,
            }
        )

# Published leaderboard entries and the API's throttle counters are cached. The default is each
# process's memory; CACHE_URL=redis://HOST:6379/1 shares one cache between workers. The cache is an
# optimisation: when it fails, hedge reads the database (hedge.core.cache), so its timeouts are short (a
# Redis on the same network answers in about a millisecond) and, after a failure, each process skips
# the cache for 30 s (hedge.core.cache.SKIP_SECONDS) instead of waiting on it at every operation.
CACHE_SOCKET_TIMEOUT = 0.1
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": CACHE_SOCKET_TIMEOUT, "socket_timeout": CACHE_SOCKET_TIMEOUT}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# The admin shows moments as "2025-06-01 00:00 UTC" (hedge/formats): ISO order, the time zone named.
FORMAT_MODULE_PATH = ["hedge.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON bodies only, refused (400 JSON) when too deep, with duplicate keys, NaN, or over
    # DATA_UPLOAD_MAX_MEMORY_SIZE (413): hedge.core.api.StrictJSONParser.
    "DEFAULT_PARSER_CLASSES": ["hedge.core.api.StrictJSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # A database that is down or too slow is a JSON 503 with Retry-After, never an HTML page.
    "EXCEPTION_HANDLER": "hedge.core.api.exception_handler",
    # Per client IP, counted in the shared cache; 429 with Retry-After beyond the rate.
    "DEFAULT_THROTTLE_CLASSES": ["hedge.core.api.ClientIpRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"client_ip": _env_throttle_rate("API_THROTTLE_RATE", "600/minute")},
    # How many proxies (load balancer, TLS terminator) append to X-Forwarded-For in front of hedge:
    # the client is the address the outermost trusted one saw. 0: the peer address, XFF ignored.
    "NUM_PROXIES": _env_int("NUM_PROXIES", 0),
}
# Trusted internal callers (the frontend's server, the Discord bot): IP addresses or networks that
# are never throttled, e.g. "10.0.0.0/8,192.0.2.7".
API_THROTTLE_EXEMPT_IPS = _env_networks("API_THROTTLE_EXEMPT_IPS")

SPECTACULAR_SETTINGS = {
    "TITLE": "hedge API",
    "DESCRIPTION": "Leaderboards and the Challenge Pass (seasons) of hedge clusters.\n\n"
    "**Public** (tags `leaderboards`, `clusters`, `seasons`): anonymous, read-only, no authentication, rate-limited "
    "per address (429 with `Retry-After`). **Service** (tag `service`): the game's backend only, with a key sent as "
    "`Authorization: Api-Key <key>`.\n\nThis document as JSON: `/api/schema/`; as YAML: `/api/schema/?format=yaml`; "
    "to download: add `&download` (e.g. `/api/schema/?format=yaml&download`).",
    "VERSION": "1.0.0",
    # Relative: the server that serves this document (a generated client takes its base URL from here).
    "SERVERS": [{"url": "/", "description": "The server that serves this document."}],
    "TAGS": [
        {"name": "leaderboards", "description": "Public, anonymous, read-only: boards, their runs and final runs."},
        {"name": "clusters", "description": "Public, anonymous, read-only: where one cluster stands everywhere."},
        {"name": "seasons", "description": "Public, anonymous, read-only: seasons, progress and reward tracks."},
        {"name": "leagues", "description": "Public, anonymous, read-only: leagues, a cluster's cohort and its moves."},
        {
            "name": "service",
            "description": "Key-protected, for the game's backend: `Authorization: Api-Key <key>` on every call.",
        },
    ],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "hedge.core.schema.postprocess"],
    # Enums named for what they list (a generated client's types), not after the field that held them first.
    "ENUM_NAME_OVERRIDES": {
        "TimeWindowEnum": "leaderboards.models.TimeWindow.values",
        "RankModeEnum": "leaderboards.models.RankMode.values",
        "RewardTrackEnum": "seasons.models.Track.values",
        "RewardStateEnum": "seasons.selectors.RewardState.values",
        "AwardStatusEnum": "prizes.models.AwardStatus.values",
        "ScoringEnum": "seasons.models.Scoring.values",
        # Three fields are named `status`: each enum gets a name of its own, not a numbered collision.
        "RunStatusEnum": ["COMPLETE", "SUPERSEDED"],
        "SeasonStatusEnum": ["upcoming", "active", "ended", "final"],
        # A league member's zone now (`zone`) and the move it made at a period's end (`move`): one set.
        "LeagueZoneEnum": ["promote", "stay", "demote"],
    },
    # 3.1 schemas are JSON Schema: nullable fields are `type: [..., "null"]`, which validators understand.
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Production hardening; each is overridable for deployments behind a TLS-terminating proxy.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = _env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = _env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = _env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
# HSTS preload commits the whole domain and its subdomains to HTTPS in browsers for months and is
# hard to undo, so it is the operator's decision (SECURE_HSTS_PRELOAD=true), not a default; its
# reminder (security.W021) is therefore silenced. README: "check --deploy".
SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=["security.W021"])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# --- hedge ------------------------------------------------------------------------------------

# metric_source -> dotted path of an extractor callable, e.g. "onchain_pvp=myapp.extractors.pvp_wins".
# Sources with none are skipped by run_challenge_etl unless it runs with --demo.
HEDGE_EXTRACTORS = env.dict("HEDGE_EXTRACTORS", default={})

# Calendar boundaries (day, ISO week, month) of leaderboard windows are computed in this zone.
LEADERBOARD_TIMEZONE = _env_timezone("LEADERBOARD_TIMEZONE", "UTC")

# Seconds a generation waits for another generation of the same leaderboard (PostgreSQL) before
# giving up; cron ticks queued behind a long run then fail instead of piling up.
LEADERBOARD_LOCK_TIMEOUT = _env_int("LEADERBOARD_LOCK_TIMEOUT", 300, minimum=1)

# Seconds a final run, or a season's full recompute, waits for a challenge ETL run or import in
# flight (their values as of a moment are final only once every write stamped before it committed).
PROGRESS_WRITE_WAIT = _env_int("PROGRESS_WRITE_WAIT", 300, minimum=1)

# How many ended periods without final standings one generation of a board catches up (the
# newest ones); older ones are reported as skipped, and can be generated with --final.
LEADERBOARD_FINALS_CATCH_UP = _env_int("LEADERBOARD_FINALS_CATCH_UP", 31, minimum=1)

# --- public API: browsers and caches ----------------------------------------------------------

# Origins whose pages may read the public API (comma-separated, e.g. https://app.example.com);
# none by default. Read-only, anonymous: no credentials, GET/HEAD/OPTIONS only, API paths only.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_METHODS = ("GET", "HEAD", "OPTIONS")
CORS_ALLOW_CREDENTIALS = False
CORS_URLS_REGEX = r"^/(leaderboards|seasons|clusters)(/.*)?$"

# How long clients and shared caches may keep `latest` and cluster lookups (Cache-Control max-age,
# never past the board's next reset); about the interval of cron's generate_leaderboard.
API_CACHE_SECONDS = _env_int("API_CACHE_SECONDS", 60)

# --- events (webhooks) ------------------------------------------------------------------------

# The public address of hedge (e.g. https://hedge.example.com): Discord messages link to the run.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="")
# Development and tests only: webhook URLs may be http://, and may reach private, loopback and
# link-local addresses (refused otherwise, at save time and on every connection).
WEBHOOK_ALLOW_HTTP = _env_bool("WEBHOOK_ALLOW_HTTP", False)
WEBHOOK_ALLOW_PRIVATE_NETWORKS = _env_bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", False)
