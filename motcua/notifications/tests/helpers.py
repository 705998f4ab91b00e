"""Moving a dossier through the real services, and counting what was written."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.utils import timezone

from motcua.conftest import VALID_BIRTH
from motcua.dossiers import services
from motcua.notifications.models import Notification
from motcua.notifications.services import deliver_notifications


def submit(world, citizen=None):
    return services.submit_dossier(
        citizen or world.citizen,
        procedure_code="1.001193",
        agency_code=world.agency.code,
        channel="online",
        data=VALID_BIRTH,
    ).dossier


def forward(world, dossier):
    """The specialist and then the leader take the workflow's forward action, up to the result."""
    for _ in range(4):
        dossier.refresh_from_db()
        if dossier.status != "processing":
            return dossier
        actor = world.specialist if dossier.current_role == "specialist" else world.leader
        action = next(a for a in services.available_actions(actor, dossier) if a["kind"] == "forward")
        dossier = services.perform(actor, dossier, action["action"], note="Đủ điều kiện.")
    raise AssertionError("the dossier did not reach its result")


def written(dossier) -> Counter:
    return Counter(Notification.objects.filter(dossier=dossier).values_list("event", "channel"))


def deliver_later(minutes: float) -> dict:
    return deliver_notifications(now=timezone.now() + timedelta(minutes=minutes))


def explode(dossier, action, payload, row=None):
    """A transition hook after ours that fails on acceptance: the whole transition must roll back."""
    if action == "accept":
        raise RuntimeError("a later hook failed")
