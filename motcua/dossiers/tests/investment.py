"""The Quảng Ninh investment registration certificate (1.009664, 12 working hours) as the demo ships it: the real
catalogue record and hand-made definition, the province's agencies, the demo officials of the Economic Zone Board.

Import the fixture where it is needed: ``from motcua.dossiers.tests.investment import investment  # noqa: F401``.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import datetime

import pytest

from motcua.accounts.models import User
from motcua.catalog import services as catalog
from motcua.catalog.examples import EXAMPLES
from motcua.catalog.models import Agency
from motcua.core.demo import demo_agencies, ensure_people
from motcua.dossiers import services
from motcua.dossiers.models import Dossier
from motcua.worktime.calc import WorkCalendar
from motcua.worktime.services import calendar_for, load_official_schedules

CODE = "1.009664"


@dataclass
class Investment:
    agency: Agency
    desk: User
    specialist: User
    leader: User
    citizen: User

    @property
    def calendar(self) -> WorkCalendar:
        return calendar_for(self.agency)

    def submit(self) -> Dossier:
        return services.submit_dossier(
            self.citizen, procedure_code=CODE, agency_code=self.agency.code, channel="online", data=dict(EXAMPLES[CODE])
        ).dossier

    def accept(self) -> Dossier:
        """Submitted online and accepted by kkt.motcua through the real engine (now)."""
        return services.perform(self.desk, self.submit(), "accept", note="Hồ sơ đầy đủ.")

    def accepted_at(self, when: datetime) -> Dossier:
        """Accepted, then its clock moved back to ``when`` as if the desk had accepted it then: the appointment
        and the first step's deadline recomputed by the engine's own rule (``compute_due``) on the Board's
        calendar; the step (thẩm định) has half of the 12 hours."""
        dossier = self.accept()
        due = services.compute_due(dossier, when)
        step_due = min(self.calendar.add_working_hours(when, 6), due)
        Dossier.objects.filter(pk=dossier.pk).update(
            accepted_at=when,
            due_at=due,
            original_due_at=due,
            step_started_at=when,
            step_due_at=step_due,
            due_soon=False,
            overdue=False,
            apology_due=False,
        )
        dossier.refresh_from_db()
        return dossier


@pytest.fixture
def investment(db, tmp_path) -> Investment:
    records = [r for r in catalog.read_catalog() if r["code"] == CODE]
    path = tmp_path / "procedures.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    load_official_schedules()
    catalog.load_catalog(path)  # the province's agencies and the offerings too
    ensure_people()
    staff = {u.username: u for u in User.objects.filter(username__startswith="kkt.")}
    return Investment(
        agency=demo_agencies()["investment"],
        desk=staff["kkt.motcua"],
        specialist=staff["kkt.chuyenvien"],
        leader=staff["kkt.lanhdao"],
        citizen=User.objects.get(personal_id="022090001234"),
    )
