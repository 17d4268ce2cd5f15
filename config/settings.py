"""Backpath settings: one module, driven by environment variables.

Every value has a development default that works on a machine with only Python
(SQLite file, a filesystem Celery broker, e-mail written to files under var/).
With DEBUG off, a missing SECRET_KEY stops start-up with its name.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("BACKPATH_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
TESTING = env.bool("BACKPATH_TESTING", default=False)

if DEBUG or TESTING:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me-" + "x" * 32)
else:
    # Fails loudly with "Set the SECRET_KEY environment variable" when missing.
    SECRET_KEY = env.str("SECRET_KEY")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "auditlog",
    "clinics",
    "security",
    "outbox",
    "intake",
    "treatment",
    "followups",
    "referrals",
    "pathway",
    "records",
    "dashboards",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "security.middleware.PatientLinkRateLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "security.middleware.TwoFactorMiddleware",
    "security.middleware.AuditContextMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a lockout flagged during authentication into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.i18n",
                "clinics.context_processors.navigation",
                "security.context_processors.security",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'backpath.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; the timeout waits
    # for the other process's write lock instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL;",
        "transaction_mode": "IMMEDIATE",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Axes first: it refuses a locked-out username+IP before any password is checked.
AUTHENTICATION_BACKENDS = [
    "security.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Argon2id for new and upgraded passwords; the others only read older hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: Dutch first, then French and English.
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"
# In development and tests WhiteNoise serves straight from static/; production
# serves the compressed, hashed files made by collectstatic.
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# E-mail: files under var/mail/ by default so a newcomer can read what was sent.
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
# django-environ drops the first "/" of the URL's path, hence the extra one.
vars().update(env.email_url("EMAIL_URL", default="filemail:///" + EMAIL_FILE_PATH))
# ... one readable .eml file per message (outbox/mailfiles.py), not one file per batch.
if EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend":  # noqa: F821 - set just above
    EMAIL_BACKEND = "outbox.mailfiles.EmlFileBackend"
# Seconds an SMTP connection may hang before the outbox counts it as a temporary failure.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
# The outbox drain (outbox/drain.py, docs/operations.md): a claimed mail row is leased
# to its drain for this long, renewed while the drain works, so a crashed drain's mail
# goes out again within this time; a drain stops claiming after OUTBOX_DRAIN_SECONDS.
BACKPATH_OUTBOX_LEASE_SECONDS = env.int("BACKPATH_OUTBOX_LEASE_SECONDS", default=120)
BACKPATH_OUTBOX_DRAIN_SECONDS = env.int("BACKPATH_OUTBOX_DRAIN_SECONDS", default=240)
# A drain that finds a full batch waiting asks for this many drains in all, each over its
# own SMTP connection (SKIP LOCKED keeps their rows apart): the worker's concurrency.
BACKPATH_OUTBOX_PARALLEL_DRAINS = env.int("BACKPATH_OUTBOX_PARALLEL_DRAINS", default=2)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Backpath <no-reply@backpath.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The address in e-mailed links. `make run` passes PORT's address (PORT=18811 make run).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# Celery. Without REDIS_URL / CELERY_BROKER_URL the broker is kombu's filesystem
# transport under var/broker/, which needs no server.
REDIS_URL = env.str("REDIS_URL", default="")
# Tests never write into the developer's var/broker: without Redis they use kombu's
# in-memory transport, and with Redis their own queue (see CELERY_TASK_DEFAULT_QUEUE).
CELERY_BROKER_URL = env.str(
    "CELERY_BROKER_URL", default=REDIS_URL or ("memory://" if TESTING else "filesystem://")
)
# Each pytest-xdist worker (gw0, gw1, ...) has a queue of its own, so the Celery worker one
# test starts never takes another process's tasks; the workers a test starts as
# subprocesses inherit PYTEST_XDIST_WORKER and so listen on the same queue.
_XDIST_WORKER = env.str("PYTEST_XDIST_WORKER", default="")
CELERY_TASK_DEFAULT_QUEUE = (
    "-".join(filter(None, ["backpath-test", _XDIST_WORKER])) if TESTING else "celery"
)
# Seconds a broker (or cache) command may wait on Redis before it counts as down.
BROKER_TIMEOUT_SECONDS = env.float("BROKER_TIMEOUT_SECONDS", default=1.0)
CELERY_BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Producers (web) and consumers (worker) both need the folders before the
    # first message, and neither creates them.
    for _folder in ("queue", "control"):
        (CELERY_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # A Redis that hangs (frozen, half-open connection) must not hang a web request that
    # queues mail: every broker command gives up after a few seconds, and the outbox
    # sweep sends the committed row anyway (docs/operations.md).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
        "socket_timeout": BROKER_TIMEOUT_SECONDS,
        "max_retries": 1,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_TIMEOUT_SECONDS
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker that loses the broker keeps running its tasks: they claim their work in the
# database, so the redelivered copy finds nothing to do, whereas cancelling a drain in
# the middle of an SMTP session is what sends a mail twice.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# Every task has a time limit (its own, or these); see outbox/tasks.py for the drain's.
CELERY_TASK_SOFT_TIME_LIMIT = 5 * 60
CELERY_TASK_TIME_LIMIT = 6 * 60
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Production hardening; all of these are on unless DEBUG.
# X-Forwarded-Proto is believed only behind a reverse proxy that sets it (and strips a
# client's own); a server reached directly would let any client claim HTTPS.
BACKPATH_BEHIND_PROXY = env.bool("BACKPATH_BEHIND_PROXY", default=False)
if BACKPATH_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not (DEBUG or TESTING))
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not (DEBUG or TESTING))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if (DEBUG or TESTING) else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Content-Security-Policy (django-csp 4): only our own files; no inline script or
# style anywhere (tests/test_security_headers.py scans the templates).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# Login protection (django-axes): BACKPATH_LOCKOUT_ATTEMPTS failed logins for one
# username from one address lock that pair out for BACKPATH_LOCKOUT_MINUTES.
AXES_FAILURE_LIMIT = env.int("BACKPATH_LOCKOUT_ATTEMPTS", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("BACKPATH_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "security.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "security.net.client_ip"
AXES_VERBOSE = False
# Behind a reverse proxy, the number of proxies whose X-Forwarded-For entries are
# trusted (0: use the socket address). Used for lockout, rate limits and the audit log.
BACKPATH_PROXY_COUNT = env.int("BACKPATH_PROXY_COUNT", default=0)

# Two-step login (django-otp, TOTP). Staff may turn it on; these roles must.
OTP_TOTP_ISSUER = "Backpath"
BACKPATH_2FA_REQUIRED_ROLES = env.list(
    "BACKPATH_2FA_REQUIRED_ROLES", default=[] if TESTING else ["manager", "admin"]
)
# Seconds before the session ends at which the page warns (see SESSION_COOKIE_AGE).
BACKPATH_SESSION_WARNING_SECONDS = env.int("BACKPATH_SESSION_WARNING_SECONDS", default=5 * 60)

# Public patient links (intake, follow-up questionnaires): requests per address per
# window, counted per path prefix; 0 switches the limit off (as in tests, except the
# ones that test it).
BACKPATH_PATIENT_LINK_PREFIXES = ["/intake/", "/q/"]
BACKPATH_LINK_RATE_LIMIT = env.int("BACKPATH_LINK_RATE_LIMIT", default=0 if TESTING else 30)
BACKPATH_LINK_RATE_WINDOW = env.int("BACKPATH_LINK_RATE_WINDOW", default=300)
# Kiosk PINs typed per address per link window (the kiosk's own pages are not limited:
# one tablet serves every patient of the day).
BACKPATH_KIOSK_PIN_ATTEMPTS = env.int("BACKPATH_KIOSK_PIN_ATTEMPTS", default=10)

# Audit log (django-auditlog for changes, security.ReadLog for reads).
AUDITLOG_DISABLE_REMOTE_ADDR = False
AUDITLOG_STORE_JSON_CHANGES = True

# GDPR: patient records are kept this many years after the last contact (Belgian law of
# 22 April 2019 on quality of care, art. 35: at least 30 years); erasure on request is
# pseudonymisation, possible only after that.
BACKPATH_RETENTION_YEARS = env.int("BACKPATH_RETENTION_YEARS", default=30)

# Rows per page of every paged list (clinics.paging): what a person reads at once, the
# most urgent first; "Next" shows more (docs/performance.md).
BACKPATH_PAGE_SIZE = env.int("BACKPATH_PAGE_SIZE", default=12)

# Oswestry answer texts: empty shows Backpath's own short descriptions; a clinic that holds
# a licence for the validated ODI text points this at its JSON data file
# (docs/patient-texts.md; check it with ``manage.py odi_text FILE``).
BACKPATH_ODI_TEXT_FILE = env.str("BACKPATH_ODI_TEXT_FILE", default="")

# The manager's figures are counted at most this often (seconds); 0 counts every request.
BACKPATH_DASHBOARD_CACHE_SECONDS = env.int(
    "BACKPATH_DASHBOARD_CACHE_SECONDS", default=0 if TESTING else 300
)

# The cache holds rate-limit counters: Redis when there is one, so every web process
# counts together; tests keep theirs in memory.
# CACHE_URL points the cache at another Redis (the fault tests use it under test settings).
CACHE_URL = env.str("CACHE_URL", default="" if TESTING else REDIS_URL)
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {
                "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
                "socket_timeout": BROKER_TIMEOUT_SECONDS,
            },
        }
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# No request bodies, query strings or link tokens in the logs: a search URL carries a
# name, a patient link its token. Refusals (403) are one line, without a traceback.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "no_query_strings": {"()": "security.logging.RedactQueryStrings"},
        "one_line_refusals": {"()": "security.logging.OneLineRefusals"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["no_query_strings", "one_line_refusals"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Replaces Django's default "django" logger, whose mail_admins handler would e-mail
    # the request (POST data included) on a server error.
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
