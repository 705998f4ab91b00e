"""Account use cases: API tokens, role look-ups, login throttling and whether a session has its second factor."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from django.utils import timezone

from motcua.core.errors import NotFound

from .models import ApiToken, Role, RoleAssignment, User

TOKEN_PREFIX = "mc_"  # noqa: S105 - a public prefix, not a secret


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(user: User, name: str = "") -> str:
    """Create a bearer token and return it in clear, once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name, key_hash=_hash(token), prefix=token[:8])
    return token


def user_for_token(token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(token), revoked=False, user__is_active=True)
        .only("id", "last_used_at", "user")
        .first()
    )
    if row is None:
        return None
    now = timezone.now()
    # Touch at most once a minute: a write per request would cost more than the request itself.
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


def user_by_username(username: str) -> User:
    try:
        return User.objects.get(username=username)
    except User.DoesNotExist:
        raise NotFound(f"Không có tài khoản '{username}'.") from None


@dataclass(frozen=True)
class Grant:
    agency_id: int
    role: str


def grants(user: User) -> frozenset[Grant]:
    """The (agency, role) pairs a user holds, cached on the user object for the request."""
    cached = getattr(user, "_motcua_grants", None)
    if cached is None:
        if not user.is_authenticated:
            cached = frozenset()
        else:
            cached = frozenset(
                Grant(a, r) for a, r in RoleAssignment.objects.filter(user=user).values_list("agency_id", "role")
            )
        user._motcua_grants = cached
    return cached


def has_role(user: User, role: str, agency_id: int | None = None) -> bool:
    return any(g.role == role and (agency_id is None or g.agency_id == agency_id) for g in grants(user))


def is_official(user: User) -> bool:
    return bool(grants(user))


def needs_second_factor(user: User) -> bool:
    """Officials (any role) and staff must confirm a TOTP code after the password; citizens never are asked here.

    ``MOTCUA_REQUIRE_OFFICIAL_2FA=False`` switches this off, for a closed test bench only.
    """
    if not settings.MOTCUA_REQUIRE_OFFICIAL_2FA or not user.is_authenticated:
        return False
    return bool(user.is_staff or user.is_superuser or is_official(user))


def session_is_fully_authenticated(request: HttpRequest) -> bool:
    """True when the session's user has passed every factor their account requires.

    For session-authenticated access (pages, admin, and API calls made with the session cookie). Bearer tokens
    are machine credentials and are not subject to TOTP: do not call this for them.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    if not needs_second_factor(user):
        return True
    is_verified = getattr(user, "is_verified", None)
    if callable(is_verified):  # set by django_otp's OTPMiddleware
        return bool(is_verified())
    # request.user was replaced after the middleware ran (e.g. by login()): read the session as it would.
    return _session_device_ok(request, user)


def _session_device_ok(request: HttpRequest, user: User) -> bool:
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.models import Device

    session = getattr(request, "session", None)
    persistent_id = session.get(DEVICE_ID_SESSION_KEY) if session is not None else None
    if not persistent_id:
        return False
    device = Device.from_persistent_id(persistent_id)
    return device is not None and device.user_id == user.pk and device.confirmed


def is_system_admin(user: User) -> bool:
    return user.is_superuser or has_role(user, Role.SYSTEM_ADMIN)


def agencies_for(user: User) -> set[int]:
    return {g.agency_id for g in grants(user)}


def primary_role(user: User) -> str:
    if user.is_citizen and not is_official(user):
        return "citizen"
    order = [r.value for r in Role]
    held = sorted({g.role for g in grants(user)}, key=order.index)
    return held[0] if held else "user"


# --- login throttling -------------------------------------------------------------------------------------

_throttle = caches["throttle"]


def _keys(username: str, ip: str) -> tuple[str, str]:
    return f"login:u:{username.lower()[:150]}", f"login:ip:{ip}"


def login_locked(username: str, ip: str) -> bool:
    limit = settings.MOTCUA_LOGIN_MAX_FAILURES
    ukey, ikey = _keys(username, ip)
    return (_throttle.get(ukey) or 0) >= limit or (_throttle.get(ikey) or 0) >= limit * 4


def login_failed(username: str, ip: str) -> None:
    for key in _keys(username, ip):
        try:
            _throttle.incr(key)
        except ValueError:
            _throttle.set(key, 1, settings.MOTCUA_LOGIN_LOCKOUT_SECONDS)


def login_succeeded(username: str, ip: str) -> None:
    _throttle.delete(_keys(username, ip)[0])


def hit_rate_limit(scope: str, ident: str, per_minute: int) -> bool:
    """Count one hit; True when `ident` has gone over `per_minute` in the current minute."""
    key = f"rl:{scope}:{ident}:{int(timezone.now().timestamp() // 60)}"
    try:
        count = _throttle.incr(key)
    except ValueError:
        _throttle.set(key, 1, 120)
        count = 1
    return count > per_minute
