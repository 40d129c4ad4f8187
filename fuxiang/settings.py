"""Settings for Fuxiang, driven by the environment (see .env.example).

Defaults give a development/demo setup with no services: SQLite, eager Celery, local-memory
cache. Production sets DJANGO_DEBUG=0 (the default), DJANGO_SECRET_KEY, DATABASE_URL,
CELERY_BROKER_URL, REDIS_URL and the data-protection keys.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
import pghistory
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from fuxiang.beat_schedule import beat_schedule
from fuxiang.clientaddress import proxy_settings
from fuxiang.crypto import parse_keyring
from fuxiang.env import env_bool, env_int, env_list, env_str, refuse_placeholder
from fuxiang.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)
# With DEBUG on, error pages are still the Chinese ones (fuxiang.middleware); 1 shows Django's.
DEBUG_ERROR_PAGES = env_bool("DJANGO_DEBUG_PAGES", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required unless DJANGO_DEBUG=1")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105
elif not DEBUG:
    refuse_placeholder("DJANGO_SECRET_KEY", SECRET_KEY)

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_prometheus",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_filters",
    "fuxiang.accounts.axes_app.AxesConfig",  # django-axes, named in Chinese
    "django_celery_beat",
    "captcha",
    # archive history (PostgreSQL triggers; households/models/history.py)
    "pgtrigger",
    "pghistory",
    # ours, left to right in the direction data flows
    "fuxiang.accounts",
    "fuxiang.audit",
    "households",
    "rating",
    "credit",
    "loans",
    "qrlookup",
    "dashboards",
]

MIDDLEWARE = [
    # request counts and latency for /metrics (first and last, as django-prometheus asks)
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "fuxiang.middleware.StaffSessionTimeoutMiddleware",
    "fuxiang.middleware.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "fuxiang.middleware.FriendlyErrorPagesMiddleware",
    # last, as django-axes asks, so it sees the outcome of authentication
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "fuxiang.urls"
WSGI_APPLICATION = "fuxiang.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fuxiang.accounts.context_processors.role",
            ],
            # money and durations written one way on every page (fuxiang/formatting.py)
            "builtins": ["fuxiang.formatting"],
        },
    },
]

# --- database -------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo's SQLite file is shared by the web server, a Celery worker and beat: readers do
    # not wait for a writer (WAL), and a writer waits its turn instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    # covering indexes (INCLUDE) are PostgreSQL's; SQLite ignores their extra columns
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
if not DEBUG:
    # docker-compose.yml builds DATABASE_URL from POSTGRES_PASSWORD
    refuse_placeholder("POSTGRES_PASSWORD (in DATABASE_URL)", DATABASES["default"].get("PASSWORD"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Archive history (django-pghistory, households/models/history.py). The event time is the
# moment the row was written (not the transaction's start), and a tracked foreign key is a
# plain column: the event tables carry only the indexes their as-of reads use.
PGHISTORY_CREATED_AT_FUNCTION = "clock_timestamp()"
PGHISTORY_FOREIGN_KEY_FIELD = pghistory.ForeignKey(db_index=False)

# --- cache ----------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL") or ""
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "fuxiang",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sessions are read from the cache and written through to the database when Redis is there
# (the public lookup's result page reads one on every view).
if REDIS_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Brute-force protection: five failures for one user name from one address lock it out.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Reverse proxies in front of gunicorn, each appending to X-Forwarded-For (0: none, the header
# is ignored). The lockout and the audit log take the client's address the same way
# (fuxiang.clientaddress). AXES_PROXY_COUNT is the older name of the same variable.
PROXY_COUNT = env_int("DJANGO_PROXY_COUNT", env_int("AXES_PROXY_COUNT", 0))
if PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"DJANGO_PROXY_COUNT cannot be negative, got {PROXY_COUNT}")
_client_address = proxy_settings(PROXY_COUNT)
AXES_IPWARE_META_PRECEDENCE_ORDER = _client_address["AXES_IPWARE_META_PRECEDENCE_ORDER"]
AXES_IPWARE_PROXY_COUNT = _client_address["AXES_IPWARE_PROXY_COUNT"]
IPWARE_STRICT = _client_address["IPWARE_STRICT"]

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# A signed-in member of staff is signed out after 30 minutes without a request, and 8 hours
# after signing in whatever they do (fuxiang.middleware.StaffSessionTimeoutMiddleware). The
# villager's lookup session keeps its own rule (QRLOOKUP_SESSION_SECONDS).
STAFF_SESSION_IDLE_SECONDS = env_int("STAFF_SESSION_IDLE_SECONDS", 30 * 60)
STAFF_SESSION_MAX_SECONDS = env_int("STAFF_SESSION_MAX_SECONDS", 8 * 3600)

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static & media -------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT") or BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- data protection (docs/design.md §4.4) -------------------------------------------------------
# FUXIANG_DATA_KEYS: "keyid:base64-32-bytes,..." — every key that may have encrypted a stored
# value; FUXIANG_DATA_KEY_ID picks the one new values are written with (rotation: add a key,
# point the id at it, run `manage.py rotate_data_keys`). FUXIANG_BLIND_INDEX_KEY keys the HMAC
# that makes ID and phone numbers searchable without storing them.
FUXIANG_DATA_KEYS = env_str("FUXIANG_DATA_KEYS") or ""
FUXIANG_DATA_KEY_ID = env_str("FUXIANG_DATA_KEY_ID") or ""
FUXIANG_BLIND_INDEX_KEY = env_str("FUXIANG_BLIND_INDEX_KEY") or ""
if not DEBUG and not (FUXIANG_DATA_KEYS and FUXIANG_BLIND_INDEX_KEY):
    raise ImproperlyConfigured(
        "FUXIANG_DATA_KEYS and FUXIANG_BLIND_INDEX_KEY are required unless DJANGO_DEBUG=1"
    )
# Keys that are set must be usable, with DEBUG too: a placeholder or a malformed key stops
# the start here, naming the variable, instead of the first encryption or search.
refuse_placeholder("FUXIANG_DATA_KEYS", FUXIANG_DATA_KEYS)
refuse_placeholder("FUXIANG_BLIND_INDEX_KEY", FUXIANG_BLIND_INDEX_KEY)
if FUXIANG_DATA_KEYS and FUXIANG_BLIND_INDEX_KEY:
    parse_keyring(FUXIANG_DATA_KEYS, FUXIANG_DATA_KEY_ID, FUXIANG_BLIND_INDEX_KEY)

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or ""
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE") or "celery"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or (REDIS_URL or None)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# workers log through LOGGING (JSON lines, personal data redacted), not Celery's own handler
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Redis hands an unacknowledged message (acks_late) to another worker once it has been out
# this long: longer than any task runs or waits (countdowns ≤ 60 s), so a slow task is never run
# twice at once. A dead worker's chunk does not wait for it: the sweep takes the chunk over
# within RATING_CHUNK_STALE_SECONDS + RATING_SWEEP_SECONDS; its late redelivery then finds
# the chunk done.
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT_SECONDS", 600)
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # `make demo`'s broker: messages are files in one folder, so a real worker runs with no
    # server (``fuxiang.demo`` makes the folders and starts the worker and beat). No result
    # backend: nothing waits on a task's result, progress is read from the database.
    CELERY_FILESYSTEM_DIR = Path(env_str("CELERY_FILESYSTEM_DIR") or BASE_DIR / ".demo-queue")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FILESYSTEM_DIR / "messages"),
        "data_folder_out": str(CELERY_FILESYSTEM_DIR / "messages"),
        "control_folder": str(CELERY_FILESYSTEM_DIR / "control"),
        "store_processed": False,
        "polling_interval": 0.2,
    }
# The periodic tasks (fuxiang/beat_schedule.py); times in CELERY_TIMEZONE.
CELERY_BEAT_SCHEDULE = beat_schedule()
# Import error reports (the rejected rows as uploaded, so they can be fixed) and export files
# carry personal data; they are deleted this many days after they were written.
ARCHIVE_FILE_RETENTION_DAYS = env_int("ARCHIVE_FILE_RETENTION_DAYS", 7)
# Uploaded spreadsheets (archive imports, watch lists; docs/imports.md "Limits"): a sheet's used
# range, checked before any parser builds it; the zip package's declared sizes and ratios; and
# the child process that parses (address space, CPU seconds).
SPREADSHEET_MAX_ROWS = env_int("SPREADSHEET_MAX_ROWS", 200_000)
SPREADSHEET_MAX_COLUMNS = env_int("SPREADSHEET_MAX_COLUMNS", 200)
SPREADSHEET_MAX_CELLS = env_int("SPREADSHEET_MAX_CELLS", 10_000_000)
SPREADSHEET_MAX_UNCOMPRESSED_MB = env_int("SPREADSHEET_MAX_UNCOMPRESSED_MB", 500)
SPREADSHEET_MAX_COMPRESSION_RATIO = env_int("SPREADSHEET_MAX_COMPRESSION_RATIO", 100)
SPREADSHEET_READ_MEMORY_MB = env_int("SPREADSHEET_READ_MEMORY_MB", 2048)
SPREADSHEET_READ_SECONDS = env_int("SPREADSHEET_READ_SECONDS", 120)
# An import job whose worker died this many times (a redelivered task) is failed, not re-run.
IMPORT_MAX_ATTEMPTS = env_int("IMPORT_MAX_ATTEMPTS", 2)

# --- rating (docs/rating.md) ----------------------------------------------------------------
# Re-rate a household automatically when its archive changes (off: only runs and requests).
RATING_AUTO_RERATE = env_bool("RATING_AUTO_RERATE", True)
# How long an automatic re-rating waits for an active rating run before trying again.
RATING_RERATE_RETRY_SECONDS = env_int("RATING_RERATE_RETRY_SECONDS", 60)
# How many days back a real (published) run may be dated: a month-end run started a few days
# into the next month. Never in the future; other dates are for what-if simulations only.
RATING_AS_OF_MAX_DAYS_BACK = env_int("RATING_AS_OF_MAX_DAYS_BACK", 7)
# A worker renews its claim on a chunk every RATING_CHUNK_HEARTBEAT_SECONDS while rating it; a
# claim neither made nor renewed for RATING_CHUNK_STALE_SECONDS belongs to a dead worker, and a
# live worker's sweep (every RATING_SWEEP_SECONDS; 0: none) queues the chunk again. A run with no
# claim, beat or sweep for RATING_RUN_STALL_SECONDS lost its messages: the sweep queues what it
# still needs (rating.runs.liveness).
RATING_CHUNK_HEARTBEAT_SECONDS = env_int("RATING_CHUNK_HEARTBEAT_SECONDS", 5)
RATING_CHUNK_STALE_SECONDS = env_int("RATING_CHUNK_STALE_SECONDS", 20)
RATING_SWEEP_SECONDS = env_int("RATING_SWEEP_SECONDS", 5)
RATING_RUN_STALL_SECONDS = env_int("RATING_RUN_STALL_SECONDS", 60)

# --- QR lookup, 码上查 (docs/qrlookup.md) --------------------------------------------------
# The bank's name on posters and the public pages.
QRLOOKUP_BANK_NAME = env_str("QRLOOKUP_BANK_NAME") or "福祥农村商业银行"
# The public address QR codes point to (https://fx.example.cn); empty: the address the
# officer's browser used when the code image or poster was made.
QRLOOKUP_PUBLIC_BASE_URL = (env_str("QRLOOKUP_PUBLIC_BASE_URL") or "").rstrip("/")
# SMS: "outbox" keeps messages in a table staff read at /qrlookup/outbox/ (development, demo,
# tests; the page exists only with this backend); "tencent" sends through Tencent Cloud SMS.
QRLOOKUP_SMS_BACKEND = env_str("QRLOOKUP_SMS_BACKEND") or "outbox"
if QRLOOKUP_SMS_BACKEND not in {"outbox", "tencent"}:
    raise ImproperlyConfigured("QRLOOKUP_SMS_BACKEND must be outbox or tencent")
# The outbox sends nothing: it is only usable in a process started with DJANGO_DEBUG=1 (fixed
# here, at start; the test runner's later DEBUG=False does not change it). With DEBUG off it
# refuses to "send" (the code is never stored) and its page is for head office only.
SMS_OUTBOX_USABLE = DEBUG
TENCENT_SMS_SECRET_ID = env_str("TENCENT_SMS_SECRET_ID") or ""
TENCENT_SMS_SECRET_KEY = env_str("TENCENT_SMS_SECRET_KEY") or ""
TENCENT_SMS_SDK_APP_ID = env_str("TENCENT_SMS_SDK_APP_ID") or ""
TENCENT_SMS_SIGN_NAME = env_str("TENCENT_SMS_SIGN_NAME") or ""
TENCENT_SMS_TEMPLATE_ID = env_str("TENCENT_SMS_TEMPLATE_ID") or ""
TENCENT_SMS_REGION = env_str("TENCENT_SMS_REGION") or "ap-guangzhou"
# The loan notices' templates approved in the Tencent console, "name=id,name=id" (names:
# loan_sign_code, loan_approved, loan_signed, loan_drawn; loans/notices.py has their text).
TENCENT_SMS_LOAN_TEMPLATES = dict(
    item.split("=", 1)
    for item in (env_str("TENCENT_SMS_LOAN_TEMPLATES") or "").split(",")
    if "=" in item
)
TENCENT_SMS_ENDPOINT = env_str("TENCENT_SMS_ENDPOINT") or "sms.tencentcloudapi.com"
if QRLOOKUP_SMS_BACKEND == "tencent" and not (
    TENCENT_SMS_SECRET_ID
    and TENCENT_SMS_SECRET_KEY
    and TENCENT_SMS_SDK_APP_ID
    and TENCENT_SMS_SIGN_NAME
    and TENCENT_SMS_TEMPLATE_ID
):
    raise ImproperlyConfigured(
        "QRLOOKUP_SMS_BACKEND=tencent needs TENCENT_SMS_SECRET_ID, TENCENT_SMS_SECRET_KEY, "
        "TENCENT_SMS_SDK_APP_ID, TENCENT_SMS_SIGN_NAME and TENCENT_SMS_TEMPLATE_ID"
    )
# WeChat web OAuth (snsapi_base → openid), off unless both are set.
QRLOOKUP_WECHAT_APP_ID = env_str("QRLOOKUP_WECHAT_APP_ID") or ""
QRLOOKUP_WECHAT_APP_SECRET = env_str("QRLOOKUP_WECHAT_APP_SECRET") or ""
QRLOOKUP_WECHAT_BINDING_DAYS = env_int("QRLOOKUP_WECHAT_BINDING_DAYS", 180)
# A verification code lives this long; a verified session shows its household this long.
QRLOOKUP_CODE_SECONDS = env_int("QRLOOKUP_CODE_SECONDS", 300)
QRLOOKUP_SESSION_SECONDS = env_int("QRLOOKUP_SESSION_SECONDS", 900)
# Wrong codes before an ID number (and the verification) is locked, and for how long.
QRLOOKUP_MAX_FAILED_CODES = env_int("QRLOOKUP_MAX_FAILED_CODES", 5)
QRLOOKUP_LOCK_SECONDS = env_int("QRLOOKUP_LOCK_SECONDS", 3600)
# Days an officer has to answer a villager's request before it is overdue.
QRLOOKUP_REQUEST_DAYS = env_int("QRLOOKUP_REQUEST_DAYS", 7)
# Rate limits held in the cache (Redis in production, so they hold across gunicorn workers):
# scope → ((count, seconds), ...). "phone" is counted per SMS sent.
QRLOOKUP_LIMITS = {
    "ip": ((20, 600), (60, 86400)),
    "id": ((5, 3600), (10, 86400)),
    "phone": ((1, 60), (5, 3600), (10, 86400)),
    "openid": ((10, 3600), (30, 86400)),
    "request_ip": ((5, 3600), (20, 86400)),
}
# Prefix of the lookup's cache keys (tests give each test its own).
QRLOOKUP_CACHE_NAMESPACE = env_str("QRLOOKUP_CACHE_NAMESPACE") or "qrl"
# Scan and lookup events go to a Redis list and into their tables once a minute (beat), so the
# landing page writes nothing to the database; off (or without Redis): one INSERT per event.
QRLOOKUP_EVENT_BUFFER = env_bool("QRLOOKUP_EVENT_BUFFER", bool(REDIS_URL))
# Verification challenges and outbox messages are deleted after this many days.
QRLOOKUP_RETENTION_DAYS = env_int("QRLOOKUP_RETENTION_DAYS", 30)

# --- dashboards (docs/dashboards.md) -------------------------------------------------------
# The summaries are refreshed by beat every DASHBOARDS_REFRESH_SECONDS (above) and, after a
# rating publish or a loan event, at most once per this many seconds (0: after every one).
DASHBOARDS_REFRESH_DEBOUNCE_SECONDS = env_int("DASHBOARDS_REFRESH_DEBOUNCE_SECONDS", 60)
# An archive still without a rating this many days after it was made is stalled.
DASHBOARDS_STALLED_DAYS = env_int("DASHBOARDS_STALLED_DAYS", 30)
# Daily rows are kept this many days (month ends and weekly rows for good).
DASHBOARDS_DAILY_DAYS = env_int("DASHBOARDS_DAILY_DAYS", 62)
# Each refresh recomputes the officers' work of this many past weeks.
DASHBOARDS_ACTIVITY_WEEKS = env_int("DASHBOARDS_ACTIVITY_WEEKS", 26)
# The largest list of households one Excel export holds (a grid's officer's list).
DASHBOARDS_EXPORT_MAX_ROWS = env_int("DASHBOARDS_EXPORT_MAX_ROWS", 20_000)

# django-simple-captcha: images drawn here (Pillow), no outside service.
CAPTCHA_LENGTH = 4
CAPTCHA_TIMEOUT = 10  # minutes
CAPTCHA_IMAGE_SIZE = (120, 44)
CAPTCHA_FONT_SIZE = 30
CAPTCHA_CHALLENGE_FUNCT = "qrlookup.engine.inputs.captcha_challenge"

# --- loans (docs/loans.md) ------------------------------------------------------------------
# A borrower's identity check (SMS code, the officer in person) is fresh this long.
LOANS_VERIFICATION_MAX_AGE_MINUTES = env_int("LOANS_VERIFICATION_MAX_AGE_MINUTES", 30)
# An approved application must be signed within this many days.
LOANS_SIGN_WITHIN_DAYS = env_int("LOANS_SIGN_WITHIN_DAYS", 7)
# A signing code (SMS to the borrower, naming amount, term and rate) is valid this long.
LOANS_SIGNING_CODE_SECONDS = env_int("LOANS_SIGNING_CODE_SECONDS", 300)
# A whitelist snapshot expires this many days after it was made (the nightly refresh renews).
LOANS_WHITELIST_TTL_DAYS = env_int("LOANS_WHITELIST_TTL_DAYS", 7)

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous API call gets 401 with WWW-Authenticate: Token
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # bodies are JSON (docs/api.md); another content type is 415
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "fuxiang.pagination.BoundedPageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "fuxiang.api.exception_handler",
}
# API tokens (django-rest-knox): only a SHA-512 digest is stored, each token expires, a user
# holds one per device. `Authorization: Token <token>` as before.
API_TOKEN_TTL_HOURS = env_int("API_TOKEN_TTL_HOURS", 10)
if API_TOKEN_TTL_HOURS <= 0:
    raise ImproperlyConfigured(f"API_TOKEN_TTL_HOURS must be positive, got {API_TOKEN_TTL_HOURS}")
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=API_TOKEN_TTL_HOURS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "福祥码上贷 API",
    "DESCRIPTION": "Household archives, rating, credit and loans of the county bank.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # the schema and its docs describe every route: for signed-in staff only
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # 401, 415, malformed JSON, page and filter errors, non-numeric ids: fuxiang/schema.py
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "fuxiang.schema.document_common_responses",
    ],
    # Name enums after the domain so later apps' own "status"/"kind" never collide.
    "ENUM_NAME_OVERRIDES": {
        "HouseholdStatusEnum": "households.models.HouseholdStatus",
        "EntityKindEnum": "households.models.EntityKind",
        "EntityCategoryEnum": "households.models.EntityCategory",
        "RelationEnum": "households.models.Relation",
        "VisitOutcomeEnum": "households.models.VisitOutcome",
        "LoanChannelEnum": "loans.models.Channel",
        "LoanVerificationMethodEnum": "loans.models.VerificationMethod",
        "RepaymentChannelEnum": "loans.models.RepaymentChannel",
        "RepaymentMethodEnum": "loans.models.RepaymentMethod",
    },
}

# --- security (production) ------------------------------------------------------------------
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("DJANGO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp) on every response: scripts and stylesheets only from
# our own origin, no inline script or event handler anywhere (page scripts are static files,
# data reaches them through json_script or data- attributes), nothing may frame a page.
# style-src-attr allows style="" attributes only, never <style> elements: ECharts' tooltip
# and htmx's settling write them, and the progress bars' widths are data. A style attribute
# runs no script and, with img-src and font-src 'self', loads nothing from elsewhere.
# img-src allows data: for the SVG icons inside Bootstrap's and Swagger UI's stylesheets.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# One JSON object a line on stderr (text with DJANGO_DEBUG=1), personal data redacted
# (fuxiang/logs.py). DJANGO_LOG_FORMAT=json|text overrides.
LOGGING = logging_config(
    json_lines=(env_str("DJANGO_LOG_FORMAT") or ("text" if DEBUG else "json")) == "json",
    level=env_str("DJANGO_LOG_LEVEL") or "INFO",
)

# --- monitoring (fuxiang/monitoring.py, docs/deploy.md) ------------------------------------------
# /health/ and /metrics answer this bearer token (and signed-in head office); nobody else.
FUXIANG_MONITORING_TOKEN = env_str("FUXIANG_MONITORING_TOKEN") or ""
if FUXIANG_MONITORING_TOKEN:
    refuse_placeholder("FUXIANG_MONITORING_TOKEN", FUXIANG_MONITORING_TOKEN)
HEALTH_TIMEOUT_SECONDS = float(env_int("HEALTH_TIMEOUT_SECONDS", 2))
# beat's heartbeat task runs every 30 s; older than this and /health/ fails "beat"
HEALTH_BEAT_STALE_SECONDS = env_int("HEALTH_BEAT_STALE_SECONDS", 180)
HEALTH_DISK_MIN_FREE_PERCENT = env_int("HEALTH_DISK_MIN_FREE_PERCENT", 10)
