"""Drafts: saved and resumed, never counted, and submitted exactly once."""

from __future__ import annotations

import pytest

from motcua.conftest import VALID_BIRTH
from motcua.core.errors import NotFound, ValidationFailed
from motcua.dossiers import services
from motcua.dossiers.models import Dossier, Status


def test_a_draft_has_no_code_and_can_move_to_another_agency_before_submission(world):
    # given a half-filled form saved at one commune
    draft = services.save_draft(
        world.citizen, procedure_code="1.001193", agency_code=world.agency.code, data={"ho_ten_tre": "Khang"}
    )
    assert draft.code is None and draft.status == Status.DRAFT
    # when the citizen picks the other commune and completes the form
    draft = services.save_draft(
        world.citizen, procedure_code="1.001193", agency_code=world.other_agency.code, data=VALID_BIRTH, draft=draft
    )
    result = services.submit_draft(world.citizen, draft)
    # then the dossier is received by the commune chosen last, and the draft is gone
    assert result.dossier.agency == world.other_agency
    assert result.dossier.code.startswith(world.other_agency.code)
    assert not Dossier.objects.filter(status=Status.DRAFT).exists()


def test_someone_elses_draft_cannot_be_touched(world):
    draft = services.save_draft(world.citizen, procedure_code="1.001193", agency_code=world.agency.code, data={})
    with pytest.raises(NotFound):
        services.save_draft(
            world.other_citizen, procedure_code="1.001193", agency_code=world.agency.code, data={}, draft=draft
        )
    with pytest.raises(NotFound):
        services.submit_draft(world.other_citizen, draft)


def test_an_invalid_draft_is_kept_when_submission_fails(world):
    draft = services.save_draft(world.citizen, procedure_code="1.001193", agency_code=world.agency.code, data={})
    with pytest.raises(ValidationFailed):  # the declaration is incomplete
        services.submit_draft(world.citizen, draft)
    assert Dossier.objects.get(pk=draft.pk).status == Status.DRAFT
    assert not Dossier.objects.exclude(status=Status.DRAFT).exists()
