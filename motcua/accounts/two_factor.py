"""The second factor (TOTP, RFC 6238) for officials: devices, codes, the enrolment QR code, where to send a user.

django-otp keeps the devices and verifies codes (with its own exponential back-off and replay protection);
this module only adds what our pages and commands need around it.
"""

from __future__ import annotations

import re
import time
from base64 import b32encode
from dataclasses import dataclass
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import User

DEVICE_NAME = "Ứng dụng xác thực"


def confirmed_device(user: User) -> TOTPDevice | None:
    """The official's authenticator (the newest confirmed one, should an administrator have added a second)."""
    if not user.is_authenticated:
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-id").first()


def pending_device(user: User) -> TOTPDevice:
    """The unconfirmed device being enrolled: the same secret on every reload until the first code confirms it."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def confirm_device(device: TOTPDevice) -> None:
    """The first right code proves the phone holds the secret: keep this device, drop abandoned attempts."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user_id=device.user_id, confirmed=False).delete()


def base32_secret(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed in by hand."""
    return b32encode(device.bin_key).decode().rstrip("=")


def grouped(secret: str) -> str:
    """`ABCD EFGH …`: easier to read aloud and to type."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def code_at(device: TOTPDevice, t: int) -> str:
    """The code of time step `t` (drift already included), zero-padded like an authenticator shows it."""
    return f"{hotp(device.bin_key, t, digits=device.digits):0{device.digits}d}"


def next_code(device: TOTPDevice, at: float | None = None) -> tuple[str, float]:
    """The code the device accepts next, and how many seconds until it does (0 = now).

    A time step already used is refused (replay protection), so a second login within the same 30 seconds
    needs the next step's code, which the device accepts early within its tolerance.
    """
    now = time.time() if at is None else at
    t_now = (int(now) - device.t0) // device.step + device.drift
    t = max(t_now, device.last_t + 1)
    wait = 0.0
    if t > t_now + device.tolerance:
        usable_from = device.t0 + (t - device.tolerance - device.drift) * device.step
        wait = max(0.0, usable_from - now)
    return code_at(device, t), wait


@dataclass(frozen=True)
class Check:
    ok: bool
    wait_seconds: int = 0  # > 0: refused without looking, because of earlier wrong codes


def check_code(device: TOTPDevice, code: str) -> Check:
    """Verify a code under a row lock (two requests cannot both use one code), honouring django-otp's back-off."""
    code = re.sub(r"\s+", "", code or "")
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, info = locked.verify_is_allowed()
        if not allowed:
            until = (info or {}).get("locked_until")
            wait = int((until - timezone.now()).total_seconds()) + 1 if until else 1
            return Check(ok=False, wait_seconds=max(wait, 1))
        if code.isdigit() and len(code) == locked.digits:
            ok = bool(locked.verify_token(code))  # saves last_t on success, the failure count otherwise
        else:
            ok = False
            locked.throttle_increment()  # a malformed code is a wrong code: it counts towards the back-off
    device.refresh_from_db()
    return Check(ok=ok)


def qr_svg(device: TOTPDevice, title: str) -> str:
    """The otpauth:// URL as an inline SVG (no script, no style attribute: allowed by our CSP), white quiet zone."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathFillImage, border=4)
    svg = image.to_string(encoding="unicode")
    svg = re.sub(r'\swidth="[^"]*" height="[^"]*"', ' width="232" height="232"', svg, count=1)
    label = title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" class="otp-qr" ', 1)


def second_factor_url(user: User, next_url: str) -> str:
    """Where an official who has only typed a password goes: the code, or enrolment if there is no device yet."""
    name = "accounts:otp_verify" if confirmed_device(user) is not None else "accounts:otp_setup"
    return f"{reverse(name)}?{urlencode({'next': next_url})}"
