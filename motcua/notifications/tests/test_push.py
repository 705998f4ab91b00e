"""The VNeID-style push channel is used only where configured; its HTTP adapter keeps the channel contract."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from motcua.dossiers import services
from motcua.notifications.errors import PermanentError, TransientError
from motcua.notifications.models import Notification, NotificationStatus
from motcua.notifications.push import HttpPushProvider
from motcua.notifications.services import deliver_notifications
from simulators._http import BaseHandler, serve

from .helpers import submit

pytestmark = pytest.mark.django_db


@dataclass
class Platform:
    """A stand-in identity-app notification platform: records requests, answers `status` with an id."""

    status: int = 202
    requests: list[tuple[dict, dict]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class PlatformHandler(BaseHandler):
    def handle_request(self, method: str, path: str) -> None:
        state: Platform = self.server.state
        if (method, path) != ("POST", "/v1/notifications"):
            self.not_found()
            return
        with state.lock:
            state.requests.append((dict(self.headers.items()), self.json_body()))
            n = len(state.requests)
        if state.status >= 400:
            self.send_json({"error": "x"}, state.status)
        else:
            self.send_json({"id": f"PUSH-{n}"}, state.status)


@pytest.fixture
def platform(settings) -> Iterator[tuple[Platform, str]]:
    state = Platform()
    server = serve(PlatformHandler, state)
    settings.MOTCUA_PUSH = {"URL": server.base_url, "API_KEY": "khoa-day", "TIMEOUT": 2}
    try:
        yield state, server.base_url
    finally:
        server.stop()


def test_push_is_off_unless_configured(contact):
    dossier = services.perform(contact.desk, submit(contact), "accept")
    assert not Notification.objects.filter(dossier=dossier, channel="push").exists()


def test_push_when_configured_uses_the_in_app_text_and_the_personal_id(contact, platform):
    state, _url = platform
    # given / when: a receipt, and the worker runs
    dossier = services.perform(contact.desk, submit(contact), "accept")
    assert deliver_notifications()["sent"] == 2  # e-mail and push (no SMS gateway here)
    # then: one push to the citizen's identity app, addressed by personal ID, with the inbox text
    row = Notification.objects.get(dossier=dossier, channel="push")
    inbox = Notification.objects.get(dossier=dossier, channel="in_app")
    assert row.status == NotificationStatus.SENT and row.provider_id == "PUSH-1"
    [(headers, body)] = state.requests
    assert body["personal_id"] == "022192004567" and body["title"] == inbox.subject and body["body"] == inbox.body
    assert body["message_id"] == str(row.message_id) == headers["Idempotency-Key"]
    assert headers["Authorization"] == "Bearer khoa-day" and body["link"] == dossier.code


def test_the_http_adapter_contract(platform):
    state, url = platform
    adapter = HttpPushProvider({"URL": url, "API_KEY": "k", "TIMEOUT": 2})
    assert adapter.send("022192004567", "t", "b", "m-1") == "PUSH-1"
    state.status = 404  # no app account for this person: never on a retry
    with pytest.raises(PermanentError):
        adapter.send("022192004567", "t", "b", "m-2")
    state.status = 503
    with pytest.raises(TransientError):
        adapter.send("022192004567", "t", "b", "m-3")
    with pytest.raises(TransientError):
        HttpPushProvider({"URL": "http://127.0.0.1:9", "TIMEOUT": 1}).send("0", "t", "b", "m-4")
    assert json.loads(json.dumps(state.requests[0][1]))["title"] == "t"
