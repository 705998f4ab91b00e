"""The portal inbox: the owner sees their messages with an unread count in the header; nobody else does."""

from __future__ import annotations

import pytest
from django.test import Client

from motcua.dossiers import services
from motcua.notifications.models import Notification

from .helpers import submit

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _accepted(world, n: int = 1) -> list:
    return [services.perform(world.desk, submit(world), "accept") for _ in range(n)]


def test_the_owner_sees_their_messages_and_the_unread_count(contact):
    # given: two accepted dossiers (two in-app messages)
    first, second = _accepted(contact, 2)
    # when: the citizen opens the inbox
    page = _client(contact.citizen).get("/hop-thu/")
    # then: both messages, newest first, and the count in the header
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index(f"Hồ sơ {second.code} đã được tiếp nhận") < html.index(f"Hồ sơ {first.code} đã được tiếp nhận")
    assert 'data-unread="2"' in html and "2 thông báo chưa đọc" in html
    assert f'href="/ho-so/{first.code}/"' in html
    # and: on any other page too
    assert 'data-unread="2"' in _client(contact.citizen).get("/").content.decode()


def test_another_citizen_sees_none_and_cannot_mark_them(contact):
    [dossier] = _accepted(contact)
    mine = Notification.objects.get(dossier=dossier, channel="in_app")
    other = _client(contact.other_citizen)
    page = other.get("/hop-thu/")
    assert page.status_code == 200 and dossier.code not in page.content.decode()
    assert "data-unread" not in page.content.decode()
    assert other.post(f"/hop-thu/{mine.pk}/da-doc/").status_code == 404
    other.post("/hop-thu/da-doc-tat-ca/")
    mine.refresh_from_db()
    assert mine.read_at is None


def test_anonymous_is_sent_to_login(contact):
    _accepted(contact)
    page = Client().get("/hop-thu/")
    assert page.status_code == 302 and "/tai-khoan/" in page["Location"] and "next=/hop-thu/" in page["Location"]
    assert Client().post("/hop-thu/da-doc-tat-ca/").status_code == 302
    assert "hop-thu" not in Client().get("/").content.decode()


def test_mark_read_one_then_all(contact):
    first, second = _accepted(contact, 2)
    client = _client(contact.citizen)
    one = Notification.objects.get(dossier=first, channel="in_app")
    # when: one is marked read, coming back to the inbox
    answer = client.post(f"/hop-thu/{one.pk}/da-doc/", {"next": "/hop-thu/?trang=1"})
    assert answer.status_code == 302 and answer["Location"] == "/hop-thu/?trang=1"
    assert 'data-unread="1"' in client.get("/hop-thu/").content.decode()
    # and: a foreign "next" is ignored
    assert client.post(f"/hop-thu/{one.pk}/da-doc/", {"next": "https://evil.example/"})["Location"] == "/hop-thu/"
    # when: all are marked read
    client.post("/hop-thu/da-doc-tat-ca/")
    html = client.get("/hop-thu/").content.decode()
    assert "data-unread" not in html and f"Hồ sơ {second.code}" in html
    assert client.get(f"/hop-thu/{one.pk}/da-doc/").status_code == 405


def test_officials_have_no_inbox_link(contact):
    assert "/hop-thu/" not in _client(contact.desk).get("/").content.decode()


def test_the_inbox_costs_the_same_with_one_or_many_messages(contact, django_assert_max_num_queries):
    client = _client(contact.citizen)
    _accepted(contact)
    client.get("/hop-thu/")  # warm-up: session, catalogue caches
    with django_assert_max_num_queries(50) as one:
        client.get("/hop-thu/")
    _accepted(contact, 4)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get("/hop-thu/")
    assert page.content.decode().count('data-notification="') == 5
