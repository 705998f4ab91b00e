"""A small real month for the dashboard tests: dossiers received today at two communes, through the real services
(accepted, resolved, refused, withdrawn, overdue, in person), and the people who look at them: a provincial leader,
the communes' officials, a citizen. Helpers read the figures back from the pages the way a person does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest
from django.test import Client
from django.utils import timezone


@dataclass
class Month:
    world: object
    leader: object  # the province's leader: sees the whole province
    dossiers: dict = field(default_factory=dict)

    @property
    def agency(self):
        return self.world.agency

    @property
    def other(self):
        return self.world.other_agency


def _forward_to_result(dossier, by_role: dict, capture):
    from motcua.dossiers import services

    while dossier.status == "processing":
        user = by_role[dossier.current_role]
        action = next(a for a in services.available_actions(user, dossier) if a["kind"] == "forward")
        with capture(execute=True):
            dossier = services.perform(user, dossier, action["action"], note="Đồng ý.")
    return dossier


def build_month(world, capture) -> Month:
    """Six dossiers received today: at Hạ Long one returned on time, one overdue, one refused, one taken in person
    and in progress; at Bãi Cháy one withdrawn and one waiting for acceptance."""
    from motcua.accounts.models import Role, RoleAssignment, User
    from motcua.conftest import VALID_BIRTH
    from motcua.dossiers import services
    from motcua.dossiers.models import Dossier

    province = world.agency.parent
    leader = User.objects.create_user("tinh.lanhdao", password="mat-khau-thu-nghiem-1", full_name="Lãnh đạo tỉnh")
    RoleAssignment.objects.create(user=leader, agency=province, role=Role.LEADER)

    def submit(agency, channel="online", user=None, applicant=None):
        with capture(execute=True):
            return services.submit_dossier(
                user or world.citizen,
                procedure_code=world.procedure.code,
                agency_code=agency.code,
                channel=channel,
                data=dict(VALID_BIRTH),
                applicant=applicant,
            ).dossier

    def act(user, dossier, action, note="Ghi chú của cán bộ.", **payload):
        with capture(execute=True):
            return services.perform(user, dossier, action, note=note, payload=payload or None)

    month = Month(world, leader)
    roles = {"specialist": world.specialist, "leader": world.leader}

    resolved = act(world.desk, submit(world.agency), "accept")
    resolved = _forward_to_result(resolved, roles, capture)
    month.dossiers["resolved"] = act(world.desk, resolved, "return_result")

    overdue = act(world.desk, submit(world.agency), "accept")
    Dossier.objects.filter(pk=overdue.pk).update(due_at=timezone.now() - timedelta(hours=2))
    with capture(execute=True):
        services.sweep()
    month.dossiers["overdue"] = Dossier.objects.get(pk=overdue.pk)

    month.dossiers["refused"] = act(world.desk, submit(world.agency), "refuse", "Không thuộc thẩm quyền.")
    in_person = submit(world.agency, "in_person", world.desk, {"name": "Lê Văn Cường", "personal_id": "022090009876"})
    month.dossiers["in_person"] = act(world.desk, in_person, "accept")

    month.dossiers["withdrawn"] = act(world.citizen, submit(world.other_agency), "withdraw", "Không còn nhu cầu.")
    month.dossiers["waiting"] = submit(world.other_agency)
    return month


@pytest.fixture(name="month")
def month_fixture(world, django_capture_on_commit_callbacks) -> Month:
    from django.core.cache import cache

    cache.clear()  # the public figures are cached a short while; each test has its own world
    return build_month(world, django_capture_on_commit_callbacks)


def client_for(user) -> Client:
    from motcua.accounts.testing import signed_in_client

    return signed_in_client(user)


# --- reading pages -----------------------------------------------------------------------------------------

# The elements below a node with a CSS class (XPath: lxml's CSS selectors need a package we do not install).
CLS = './/*[contains(concat(" ", normalize-space(@class), " "), " {} ")]'


def html(response):
    assert response.status_code == 200, response.content[:2000]
    return lxml.html.fromstring(response.content.decode())


def number(text: str) -> float | None:
    """'1.234' → 1234; '85,3%' → 85.3; '—' → None (the pages' Vietnamese formats)."""
    text = text.strip().rstrip("%").strip()
    if text in ("—", ""):
        return None
    return float(text.replace(".", "").replace(",", "."))


def tile(doc, key: str) -> tuple[str, str]:
    """(the figure shown, its link) of the KPI tile #kpi-<key>."""
    node = doc.get_element_by_id(f"kpi-{key}")
    return node.xpath(CLS.format("stat-number"))[0].text_content().strip(), node.xpath(".//a")[0].get("href")


def drill_links(doc) -> list[tuple[str, str]]:
    """(figure, href) of every link to a drill-down on the page (a tile's figure is its big number)."""
    out = []
    for a in doc.xpath(".//a[@href]"):
        if urlsplit(a.get("href")).path != "/dieu-hanh/chi-tiet/":
            continue
        figure = a.xpath(CLS.format("stat-number")) or [a]
        out.append((figure[0].text_content().strip(), a.get("href")))
    return out


def drill_count(client: Client, href: str) -> int:
    doc = html(client.get(href))
    return int(doc.get_element_by_id("drill-count").get("data-count"))


def params_of(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


def as_rate(value: float | None) -> float | None:
    """A share as the pages show it: a percentage with one decimal."""
    return None if value is None else round(value * 100, 1)
