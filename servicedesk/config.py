"""Settings read from the environment, with safe embedded defaults."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from zoneinfo import available_timezones

import pytz

WEAK_SECRETS = {"", "dev", "changeme", "change-me", "secret", "please-change-me"}
MIN_SECRET_LENGTH = 32


class ConfigError(RuntimeError):
    """Raised when the configuration is unsafe or incomplete."""


def is_production(env: dict[str, str]) -> bool:
    """Tell whether the environment asks for production mode."""
    mode = env.get("SERVICEDESK_ENV") or env.get("FLASK_ENV") or ""
    return mode.lower() in {"production", "prod"}


def normalise_database_url(url: str) -> str:
    """Point bare postgres URLs at the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def embedded_secret(instance_path: Path) -> str:
    """Return the secret kept in instance/, creating it on first use."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    # Created with 0600 so other local users cannot forge sessions.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


def resolve_secret(env: dict[str, str], instance_path: Path) -> str:
    """Choose SECRET_KEY: the environment's, or an embedded one outside production."""
    value = env.get("SECRET_KEY", "")
    if is_production(env):
        if value.lower() in WEAK_SECRETS or len(value) < MIN_SECRET_LENGTH:
            raise ConfigError(
                "SECRET_KEY must be set to a random value of at least "
                f"{MIN_SECRET_LENGTH} characters in production "
                '(for example: python -c "import secrets; print(secrets.token_urlsafe(48))").'
            )
        return value
    return value or embedded_secret(instance_path)


def _int(env: dict[str, str], name: str, default: int) -> int:
    """Read an integer setting, failing with the setting's name when malformed."""
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def resolve_base_url(env: dict[str, str]) -> str:
    """The public address for e-mailed links; production must say it."""
    value = env.get("BASE_URL", "").strip()
    if is_production(env) and not value.startswith(("https://", "http://")):
        raise ConfigError(
            "BASE_URL must be set to the desk's public address in production (for example "
            "https://desk.example.com): e-mailed links are built from it, never from the "
            "request's Host header."
        )
    return value or "http://127.0.0.1:5000"


def resolve_timezone(env: dict[str, str]) -> str:
    """TIMEZONE, an IANA zone name (America/Mexico_City); UTC when unset."""
    value = env.get("TIMEZONE", "").strip() or "UTC"
    # Known to zoneinfo (conversions) and to pytz (Flask-Babel's formatting), as zones.ZONES.
    if value not in pytz.all_timezones_set or value not in available_timezones():
        raise ConfigError(
            f"TIMEZONE must be an IANA time zone such as America/Mexico_City, got {value!r}"
        )
    return value


UNKNOWN_SENDERS = ("create", "domains", "refuse")


def resolve_unknown_senders(env: dict[str, str]) -> str:
    """What mail from an address nobody has does: create a client, listed domains, refuse."""
    value = env.get("MAIL_IN_UNKNOWN_SENDERS", "create").strip().lower() or "create"
    if value not in UNKNOWN_SENDERS:
        raise ConfigError(f"MAIL_IN_UNKNOWN_SENDERS must be one of {', '.join(UNKNOWN_SENDERS)}")
    return value


def _domains(env: dict[str, str]) -> list[str]:
    """The domains whose unknown senders get an account (MAIL_IN_UNKNOWN_SENDERS=domains)."""
    raw = env.get("MAIL_IN_DOMAINS", "")
    return [d.strip().lower().lstrip("@") for d in raw.split(",") if d.strip()]


def _hosts(env: dict[str, str]) -> list[str] | None:
    """TRUSTED_HOSTS as a list (comma-separated; "." starts a subdomain wildcard)."""
    raw = env.get("TRUSTED_HOSTS", "").strip()
    return [h.strip() for h in raw.split(",") if h.strip()] or None


def _positive(env: dict[str, str], name: str, default: int) -> int:
    """Read a whole number of at least 1 (a zero here would make every job look dead)."""
    value = _int(env, name, default)
    if value < 1:
        raise ConfigError(f"{name} must be at least 1, got {value}")
    return value


def _seconds(env: dict[str, str], name: str, default: float) -> float:
    """Read a duration in seconds (fractions allowed), failing with the setting's name."""
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from exc
    if not 0 <= value < 10**7:
        raise ConfigError(f"{name} must be between 0 and 10000000 seconds, got {raw!r}")
    return value


def load(env: dict[str, str], instance_path: Path) -> dict[str, object]:
    """Build the Flask config mapping from environment variables."""
    production = is_production(env)
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'servicedesk.db'}"
    mail_server = env.get("MAIL_SERVER", "")
    return {
        "PRODUCTION": production,
        "SECRET_KEY": resolve_secret(env, instance_path),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": env.get("REDIS_URL", ""),
        "RQ_QUEUE": env.get("RQ_QUEUE", "servicedesk-mail"),
        # Exports have a queue of their own: a long export never holds up queued mail.
        "EXPORT_QUEUE": env.get("EXPORT_QUEUE", "servicedesk-exports"),
        # Reserved for the SLA timers (servicedesk/queues.py); nothing is queued there yet.
        "SCHEDULED_QUEUE": env.get("SCHEDULED_QUEUE", "servicedesk-scheduled"),
        "ATTACHMENTS_DIR": env.get("ATTACHMENTS_DIR") or str(instance_path / "attachments"),
        "MAX_CONTENT_LENGTH": _int(env, "MAX_UPLOAD_MB", 25) * 1024 * 1024,
        "MAIL_SERVER": mail_server,
        "MAIL_PORT": _int(env, "MAIL_PORT", 25),
        "MAIL_USE_TLS": env.get("MAIL_USE_TLS", "").lower() in {"1", "true", "yes"},
        "MAIL_USE_SSL": env.get("MAIL_USE_SSL", "").lower() in {"1", "true", "yes"},
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "servicedesk@localhost"),
        # A dead mail server fails a delivery after this long instead of holding it forever.
        "MAIL_TIMEOUT": _seconds(env, "MAIL_TIMEOUT", 10),
        # A queued or claimed message not confirmed sent within the lease goes back to the relay.
        "MAIL_LEASE_SECONDS": _seconds(env, "MAIL_LEASE_SECONDS", 120),
        # The n-th failed attempt waits MAIL_RETRY_SECONDS * 2**n before the next one.
        "MAIL_RETRY_SECONDS": _seconds(env, "MAIL_RETRY_SECONDS", 30),
        # How often the worker (or the web process, without Redis) runs the relay; 0: never.
        "MAIL_RELAY_SECONDS": _seconds(env, "MAIL_RELAY_SECONDS", 15),
        # An IMAP step (connect, TLS, login, one command) gives up after this long.
        "IMAP_TIMEOUT": _seconds(env, "IMAP_TIMEOUT", 30),
        # Certificates of a private certificate authority to trust for IMAP, instead of the
        # system's (a file of PEM certificates); empty: the system's trusted authorities.
        "IMAP_CA_FILE": env.get("IMAP_CA_FILE", ""),
        # How often the worker (or the web process, without Redis) looks for service-level
        # warnings and breaches to send; 0: never by itself (`flask sla-escalate` runs one pass).
        "SLA_ESCALATE_SECONDS": _seconds(env, "SLA_ESCALATE_SECONDS", 60),
        # How often the worker (or the web process, without Redis) reads the IMAP mailboxes
        # of Administración; 0: never by itself (`flask mail-fetch` reads them once).
        "MAIL_FETCH_SECONDS": _seconds(env, "MAIL_FETCH_SECONDS", 60),
        # How often the worker (or the web process, without Redis) builds the reports'
        # monthly cache again where tickets changed; 0: never by itself (`flask
        # report-cache` builds it once). See reports/cache.py.
        "REPORT_CACHE_SECONDS": _seconds(env, "REPORT_CACHE_SECONDS", 60),
        # Without a mail server the embedded mode prints mail to the console.
        "MAIL_CONSOLE": not mail_server,
        # Flask-Mail would silently drop mail whenever TESTING is on; tests use a real server.
        "MAIL_SUPPRESS_SEND": False,
        # E-mail in (servicedesk/mailin): who may file by mail, how much, into which type.
        "MAIL_IN_UNKNOWN_SENDERS": resolve_unknown_senders(env),
        "MAIL_IN_DOMAINS": _domains(env),
        "MAIL_IN_MAX_MB": _positive(env, "MAIL_IN_MAX_MB", 25),
        "MAIL_IN_TICKETS_PER_HOUR": _int(env, "MAIL_IN_TICKETS_PER_HOUR", 10),
        "MAIL_IN_TYPE": env.get("MAIL_IN_TYPE", "").strip(),
        # A desk address with this +suffix (soporte+nota@…) makes a collaborator's mail a note.
        "MAIL_IN_NOTE_TAG": env.get("MAIL_IN_NOTE_TAG", "nota").strip().lower() or "nota",
        "BASE_URL": resolve_base_url(env),
        # Proxies in front of the app whose X-Forwarded-* headers are believed (ProxyFix).
        "TRUSTED_PROXIES": _int(env, "TRUSTED_PROXIES", 0),
        # Flask refuses other Host headers with 400 when this is a list.
        "TRUSTED_HOSTS": _hosts(env),
        "BABEL_DEFAULT_LOCALE": "es",
        # The organisation's zone until Administración sets one; each user may choose theirs.
        "BABEL_DEFAULT_TIMEZONE": resolve_timezone(env),
        "LANGUAGES": ["es", "en"],
        "BOOTSTRAP_SERVE_LOCAL": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # A session (and "Keep me signed in") lasts at most this long, cookies or not.
        "SESSION_DAYS": _int(env, "SESSION_DAYS", 30),
        "WTF_CSRF_TIME_LIMIT": None,
        "RESET_TOKEN_HOURS": _int(env, "RESET_TOKEN_HOURS", 1),
        "INVITE_TOKEN_HOURS": _int(env, "INVITE_TOKEN_HOURS", 72),
        "LOGIN_MAX_FAILURES": _int(env, "LOGIN_MAX_FAILURES", 5),
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": _int(env, "LOGIN_MAX_FAILURES_PER_ACCOUNT", 50),
        "LOGIN_MAX_FAILURES_PER_IP": _int(env, "LOGIN_MAX_FAILURES_PER_IP", 500),
        "RESET_MAILS_PER_HOUR": _int(env, "RESET_MAILS_PER_HOUR", 3),
        "LOGIN_WINDOW_MINUTES": _int(env, "LOGIN_WINDOW_MINUTES", 15),
        "REOPEN_DAYS": _int(env, "REOPEN_DAYS", 7),
        "EXPORT_INLINE_MAX": _int(env, "EXPORT_INLINE_MAX", 5000),
        # A report's grouped pass is split in this many queries run at once (one per core,
        # at most 4; 1: one query). See reports/aggregate.cube.
        "REPORT_PARALLEL_QUERIES": _positive(
            env, "REPORT_PARALLEL_QUERIES", min(4, os.cpu_count() or 1)
        ),
        "EXPORT_STALE_SECONDS": _positive(env, "EXPORT_STALE_SECONDS", 120),
        "DASHBOARD_COUNT_CAP": _int(env, "DASHBOARD_COUNT_CAP", 10000),
        "API_RATE_LIMIT": _int(env, "API_RATE_LIMIT", 300),
        "API_RATE_WINDOW": _int(env, "API_RATE_WINDOW", 60),
        "API_MAX_JSON_KB": _int(env, "API_MAX_JSON_KB", 256),
        "API_PAGE_MAX": _int(env, "API_PAGE_MAX", 100),
        "REPORTS_FOR_COLLABORATORS": env.get("REPORTS_FOR_COLLABORATORS", "").lower()
        in {"1", "true", "yes"},
        "FEEDBACK_EDIT_HOURS": _int(env, "FEEDBACK_EDIT_HOURS", 24),
        "MAX_ATTACHMENTS": _int(env, "MAX_ATTACHMENTS", 10),
        "ATTACHMENT_MAX_MB": _int(env, "ATTACHMENT_MAX_MB", 10),
        # Files chosen on a refused form are kept this long for their uploader's next try.
        "HELD_UPLOAD_MINUTES": _int(env, "HELD_UPLOAD_MINUTES", 60),
        "ATTACHMENT_TYPES": env.get(
            "ATTACHMENT_TYPES", "image/jpeg,image/png,image/gif,image/webp,application/pdf"
        ),
    }
