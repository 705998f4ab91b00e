"""Test helpers for sessions that have passed the second factor, without typing a code in every test.

The TOTP step itself is tested through its pages in ``motcua/accounts/tests/test_two_factor.py``; other tests
only need a session in the state those pages leave behind.
"""

from __future__ import annotations

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import services, two_factor
from .models import User


def otp_force_login(client: Client, user: User) -> Client:
    """``client.force_login(user)``, then the session marked as verified by the user's (possibly new) device
    when their account needs a second factor, exactly as ``django_otp.login`` does after a right code."""
    client.force_login(user)
    if services.needs_second_factor(user):
        device = two_factor.confirmed_device(user) or TOTPDevice.objects.create(
            user=user, name=two_factor.DEVICE_NAME, confirmed=True
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def signed_in_client(user: User) -> Client:
    """A fresh client logged in as `user` with every factor their account requires."""
    return otp_force_login(Client(), user)
