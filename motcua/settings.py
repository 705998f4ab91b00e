"""Settings for motcua, read from the environment.

The embedded default is SQLite under $MOTCUA_DATA_DIR; set DATABASE_URL (postgres://...) for PostgreSQL.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("MOTCUA_DATA_DIR", BASE_DIR / "var")).resolve()


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """A secret from the environment, else one generated once and kept in the data dir (never in the repo)."""
    if key := os.environ.get("MOTCUA_SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        path.write_text(key)
        path.chmod(0o600)
        return key


SECRET_KEY = _secret_key()
DEBUG = _env_bool("MOTCUA_DEBUG")
ALLOWED_HOSTS = [h for h in os.environ.get("MOTCUA_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("MOTCUA_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "motcua.core",
    "motcua.accounts",
    "motcua.identity",
    "motcua.exchange",
    "motcua.audit",
    "motcua.worktime",
    "motcua.catalog",
    "motcua.dossiers",
    "motcua.linked",
    "motcua.documents",
    "motcua.results",
    "motcua.store",
    "motcua.notifications",
    "motcua.payments",
    "motcua.portal",
    "motcua.backoffice",
    "motcua.analytics",
    "motcua.assistant",
]

MIDDLEWARE = [
    "motcua.core.middleware.ApiProblemMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "motcua.core.middleware.LanguageChoiceMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "motcua.accounts.middleware.OfficialIdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "motcua.core.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "motcua.urls"
WSGI_APPLICATION = "motcua.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "motcua" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]


def _database_from_url(url: str) -> dict:
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        raise ValueError(f"Unsupported DATABASE_URL scheme: {parsed.scheme}")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")) or "motcua",
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "CONN_MAX_AGE": int(os.environ.get("MOTCUA_CONN_MAX_AGE", "60")),
        # A health check is one more round trip on every request; enable it where idle connections get cut.
        "CONN_HEALTH_CHECKS": _env_bool("MOTCUA_CONN_HEALTH_CHECKS"),
        "TEST": {"NAME": os.environ.get("MOTCUA_TEST_DB_NAME", "test_motcua")},
    }


if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": _database_from_url(os.environ["DATABASE_URL"])}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": Path(os.environ.get("MOTCUA_SQLITE_PATH") or DATA_DIR / "motcua.sqlite3"),
            # IMMEDIATE transactions + WAL let concurrent writers queue instead of failing.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not shared-cache memory: concurrent-writer tests need SQLite's real locking.
            "TEST": {"NAME": str(DATA_DIR / "test_motcua.sqlite3")},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# How long a server process keeps what a submission needs (offering + current version) before re-reading it.
MOTCUA_CATALOG_CACHE_SECONDS = int(os.environ.get("MOTCUA_CATALOG_CACHE_SECONDS", "60"))

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Shared by every server process: login lock-outs and rate limits must hold across workers.
    "throttle": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "motcua_throttle"},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "motcua" / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on a missing root before collectstatic
# Front-end libraries pinned in package.json, installed by `npm ci` (make install), served under /static/vendor/.
STATICFILES_DIRS = [("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist")]
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Uploads: the hard ceiling for a request body, and our own per-file limit checked by content.
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
MOTCUA_UPLOAD_MAX_BYTES = int(os.environ.get("MOTCUA_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
MOTCUA_UPLOAD_TYPES = ["application/pdf", "image/jpeg", "image/png"]

# Security headers. HTTPS-only settings are switched on by the deployment (MOTCUA_HTTPS=1).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
if _env_bool("MOTCUA_HTTPS"):
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Login throttling: failed attempts per username and per client address before a lock-out.
MOTCUA_LOGIN_MAX_FAILURES = int(os.environ.get("MOTCUA_LOGIN_MAX_FAILURES", "5"))
MOTCUA_LOGIN_LOCKOUT_SECONDS = int(os.environ.get("MOTCUA_LOGIN_LOCKOUT_SECONDS", "900"))
# A dossier is "due soon" when this many working hours or fewer are left before its appointment.
MOTCUA_DUE_SOON_WORKING_HOURS = int(os.environ.get("MOTCUA_DUE_SOON_WORKING_HOURS", "8"))
# Public look-up by code + PIN: attempts per client address per minute.
MOTCUA_LOOKUP_PER_MINUTE = int(os.environ.get("MOTCUA_LOOKUP_PER_MINUTE", "20"))

# National electronic identity (OpenID Connect). In production: the national identity platform; `make run` and
# the tests point it at the simulator under simulators/eid. Unset issuer = eID login switched off.
MOTCUA_OIDC_ISSUER = os.environ.get("MOTCUA_OIDC_ISSUER", "")
MOTCUA_OIDC_CLIENT_ID = os.environ.get("MOTCUA_OIDC_CLIENT_ID", "motcua")
MOTCUA_OIDC_CLIENT_SECRET = os.environ.get("MOTCUA_OIDC_CLIENT_SECRET", "")
MOTCUA_OIDC_CLOCK_SKEW_SECONDS = int(os.environ.get("MOTCUA_OIDC_CLOCK_SKEW_SECONDS", "60"))
# The ID-token claim carrying the 12-digit personal ID number, and extra `acr` values of another provider mapped
# to our levels, e.g. MOTCUA_OIDC_EXTRA_ACR_LEVELS="gold=loa2,silver=loa1".
MOTCUA_OIDC_PERSONAL_ID_CLAIM = os.environ.get("MOTCUA_OIDC_PERSONAL_ID_CLAIM", "personal_id")
MOTCUA_OIDC_EXTRA_ACR_LEVELS = dict(
    pair.split("=", 1) for pair in os.environ.get("MOTCUA_OIDC_EXTRA_ACR_LEVELS", "").split(",") if "=" in pair
)
# Population registry (national population database) API; unset = no registry: dossiers are flagged unverified.
MOTCUA_REGISTRY_URL = os.environ.get("MOTCUA_REGISTRY_URL", "")
MOTCUA_REGISTRY_TIMEOUT_SECONDS = float(os.environ.get("MOTCUA_REGISTRY_TIMEOUT_SECONDS", "3"))
# Officials must confirm a one-time code (TOTP) after their password; switch off only in a closed test bench.
MOTCUA_REQUIRE_OFFICIAL_2FA = _env_bool("MOTCUA_REQUIRE_OFFICIAL_2FA", True)
OTP_TOTP_ISSUER = "motcua"
# An official's session ends after this many minutes without activity.
MOTCUA_OFFICIAL_IDLE_MINUTES = int(os.environ.get("MOTCUA_OFFICIAL_IDLE_MINUTES", "30"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("MOTCUA_LOG_LEVEL", "WARNING")},
}

# Inter-agency exchange
# Our agency signing key (EC P-256, PEM), created with mode 0600 on first use; never in the database or the repo.
MOTCUA_EXCHANGE_KEY_PATH = Path(os.environ.get("MOTCUA_EXCHANGE_KEY_PATH", DATA_DIR / "exchange-key.pem"))
MOTCUA_EXCHANGE_AGENCY_CODE = os.environ.get("MOTCUA_EXCHANGE_AGENCY_CODE", "motcua")
MOTCUA_EXCHANGE_TIMEOUT_SECONDS = float(os.environ.get("MOTCUA_EXCHANGE_TIMEOUT_SECONDS", "10"))
MOTCUA_EXCHANGE_MAX_ATTEMPTS = int(os.environ.get("MOTCUA_EXCHANGE_MAX_ATTEMPTS", "8"))
MOTCUA_EXCHANGE_BACKOFF_BASE_SECONDS = float(os.environ.get("MOTCUA_EXCHANGE_BACKOFF_BASE_SECONDS", "30"))
MOTCUA_EXCHANGE_BACKOFF_CAP_SECONDS = float(os.environ.get("MOTCUA_EXCHANGE_BACKOFF_CAP_SECONDS", "3600"))
# The exchange partner that stands for the National Public Service Portal: every dossier status change is queued
# to it through the outbox when it is configured and active (empty: no synchronisation).
MOTCUA_PORTAL_PARTNER = os.environ.get("MOTCUA_PORTAL_PARTNER", "dvcqg")
# Messages (and callbacks) other agencies may post to our inbox per client address per minute.
MOTCUA_EXCHANGE_INBOX_PER_MINUTE = int(os.environ.get("MOTCUA_EXCHANGE_INBOX_PER_MINUTE", "600"))

# What runs, in order, in the same transaction as every dossier transition:
# fn(dossier, action, payload, row=<the DossierAction just written>).
MOTCUA_TRANSITION_HOOKS = [
    "motcua.linked.services.after_transition",
    "motcua.results.services.on_dossier_transition",
    "motcua.notifications.services.on_dossier_transition",
    "motcua.payments.services.on_dossier_transition",
    "motcua.analytics.services.on_dossier_transition",  # last: counts the state the hooks above leave
]
# Checked before a result is returned: fn(dossier, payload) raises Conflict to stop it (e.g. an unpaid fee).
MOTCUA_RETURN_GUARDS: list[str] = ["motcua.payments.services.guard_return"]

# Notifications (docs/notifications.md). Channels switched on; SMS and push also need their provider configured.
MOTCUA_NOTIFY_CHANNELS = [
    c.strip() for c in os.environ.get("MOTCUA_NOTIFY_CHANNELS", "in_app,email,sms,push").split(",") if c.strip()
]
MOTCUA_NOTIFY_MAX_ATTEMPTS = int(os.environ.get("MOTCUA_NOTIFY_MAX_ATTEMPTS", "8"))
# The public address every link that leaves the site starts with (messages, QR codes on e-results, printed forms).
MOTCUA_PUBLIC_URL = os.environ.get("MOTCUA_PUBLIC_URL", "http://127.0.0.1:8000")
# E-mail: files under $MOTCUA_DATA_DIR/mail by default (nothing leaves the machine); SMTP in production with
# MOTCUA_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and MOTCUA_EMAIL_HOST/PORT/USER/PASSWORD/USE_TLS.
EMAIL_BACKEND = os.environ.get("MOTCUA_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_HOST = os.environ.get("MOTCUA_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("MOTCUA_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("MOTCUA_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("MOTCUA_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("MOTCUA_EMAIL_USE_TLS")
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("MOTCUA_EMAIL_FROM", "motcua <khong-tra-loi@motcua.local>")
# SMS brandname provider (an adapter class + its options). Empty URL: no SMS. UNICODE=False for a provider that
# takes no diacritics (texts are then sent without them: 160 characters a segment instead of 70).
MOTCUA_SMS = {
    "BACKEND": os.environ.get("MOTCUA_SMS_BACKEND", "motcua.notifications.sms.HttpSmsProvider"),
    "URL": os.environ.get("MOTCUA_SMS_URL", ""),
    "API_KEY": os.environ.get("MOTCUA_SMS_API_KEY", ""),
    "BRANDNAME": os.environ.get("MOTCUA_SMS_BRANDNAME", "MOTCUA"),
    "UNICODE": _env_bool("MOTCUA_SMS_UNICODE", True),
    "TIMEOUT": float(os.environ.get("MOTCUA_SMS_TIMEOUT_SECONDS", "10")),
    # Where the provider posts delivery reports: <public URL>/thong-bao/sms/bao-cao/
    "DLR_URL": os.environ.get("MOTCUA_SMS_DLR_URL", ""),
}
# "VNeID-style" push to the citizen's identity app, by personal ID. Off unless MOTCUA_PUSH_URL is set.
MOTCUA_PUSH = {
    "BACKEND": os.environ.get("MOTCUA_PUSH_BACKEND", "motcua.notifications.push.HttpPushProvider"),
    "URL": os.environ.get("MOTCUA_PUSH_URL", ""),
    "API_KEY": os.environ.get("MOTCUA_PUSH_API_KEY", ""),
    "TIMEOUT": float(os.environ.get("MOTCUA_PUSH_TIMEOUT_SECONDS", "10")),
}
# The officials' daily digest goes out once per working day after this local hour.
MOTCUA_DIGEST_HOUR = int(os.environ.get("MOTCUA_DIGEST_HOUR", "7"))

# Legal virtual assistant (docs/assistant.md): optional answer writing by an OpenAI-compatible endpoint (base URL
# ending in /v1; empty = extractive answers only), an optional local model2vec folder, limits.
MOTCUA_ASSISTANT_LLM_URL = os.environ.get("MOTCUA_ASSISTANT_LLM_URL", "")
MOTCUA_ASSISTANT_LLM_MODEL = os.environ.get("MOTCUA_ASSISTANT_LLM_MODEL", "")
MOTCUA_ASSISTANT_LLM_API_KEY = os.environ.get("MOTCUA_ASSISTANT_LLM_API_KEY", "")
MOTCUA_ASSISTANT_LLM_TIMEOUT_SECONDS = float(os.environ.get("MOTCUA_ASSISTANT_LLM_TIMEOUT_SECONDS", "8"))
MOTCUA_ASSISTANT_DENSE_MODEL = os.environ.get("MOTCUA_ASSISTANT_DENSE_MODEL", "")
MOTCUA_ASSISTANT_PER_MINUTE = int(os.environ.get("MOTCUA_ASSISTANT_PER_MINUTE", "30"))
MOTCUA_ASSISTANT_MAX_QUESTION = int(os.environ.get("MOTCUA_ASSISTANT_MAX_QUESTION", "1000"))
MOTCUA_ASSISTANT_RELOAD_SECONDS = float(os.environ.get("MOTCUA_ASSISTANT_RELOAD_SECONDS", "10"))

# E-results (docs/results.md): PAdES-signed PDFs with a QR code to the public verification page.
# Development PKI: a local root CA and one certificate per agency, keys encrypted under this directory (0700).
MOTCUA_PKI_DIR = Path(os.environ.get("MOTCUA_PKI_DIR", DATA_DIR / "pki"))
MOTCUA_DEV_PKI = _env_bool("MOTCUA_DEV_PKI", True)
# Real certificates: a JSON file {"<agency code>" or "*": {"cert", "key", "chain", "passphrase_file"} or
# {"pkcs12", "passphrase_file"}}; their root certificates (PEM/DER paths, comma-separated) are the trust anchors.
MOTCUA_SIGNING_KEYS = (
    json.loads(Path(os.environ["MOTCUA_SIGNING_KEYS_FILE"]).read_text())
    if os.environ.get("MOTCUA_SIGNING_KEYS_FILE")
    else {}
)
MOTCUA_SIGNING_TRUST_ROOTS = [p for p in os.environ.get("MOTCUA_SIGNING_TRUST_ROOTS", "").split(",") if p]
# Trusted timestamp (RFC 3161) on every signature where configured; embed OCSP/CRL answers (PAdES B-LT) and let
# the verifier fetch revocation data, for certificates that name their OCSP/CRL services.
MOTCUA_TSA_URL = os.environ.get("MOTCUA_TSA_URL", "")
MOTCUA_SIGNING_EMBED_REVOCATION = _env_bool("MOTCUA_SIGNING_EMBED_REVOCATION")
MOTCUA_VERIFY_ALLOW_FETCHING = _env_bool("MOTCUA_VERIFY_ALLOW_FETCHING")
# Public verification: uploads per client address per minute, and the largest PDF accepted.
MOTCUA_VERIFY_PER_MINUTE = int(os.environ.get("MOTCUA_VERIFY_PER_MINUTE", "20"))
MOTCUA_VERIFY_MAX_BYTES = int(os.environ.get("MOTCUA_VERIFY_MAX_BYTES", str(10 * 1024 * 1024)))
