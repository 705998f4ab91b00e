"""The facts that come from other apps' events: a signed e-result deposited in the citizen's data store, a stored
document reused instead of an upload, a document uploaded at the desk, a fee paid online through the gateway."""

# ruff: noqa: F811 - pytest fixtures imported from the results and payments apps' conftests, used as arguments
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from motcua.analytics import queries
from motcua.analytics.models import DossierFact
from motcua.analytics.queries import Scope
from motcua.payments.tests.conftest import (  # noqa: F401 - the fixtures fee_world, gateway, media
    fee_world,
    gateway,
    media,
    start,
    status_of,
    submitted,
    wait_for,
)
from motcua.results.tests.conftest import (  # noqa: F401 - the fixtures (dev_pki is autouse)
    dev_pki,
    results_catalogue,
    rworld,
    session_pki_dir,
)

from .facts_fixtures import assert_rebuild_matches

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.mark.django_db
def test_e_results_store_deposits_reuse_and_uploads_are_counted(rworld, settings, tmp_path):
    from motcua.dossiers import services as dossiers
    from motcua.results.models import EResult
    from motcua.store import services as store
    from motcua.store.models import Kind, StoredDocument

    settings.MEDIA_ROOT = tmp_path / "media"
    # given a birth registration taken to its result: the e-result is signed and put in the mother's data store
    first = rworld.birth_result()
    assert EResult.objects.filter(dossier=first).count() == 1
    stored = StoredDocument.objects.get(dossier=first, kind=Kind.E_RESULT)
    # and a second dossier that reuses that stored result instead of an upload, with a scan uploaded at the desk
    second = rworld.submit("1.004222")
    store.reuse(rworld.citizen, second, {"TP1": stored})
    scan = SimpleUploadedFile("to-khai.pdf", PDF, content_type="application/pdf")
    dossiers.attach_document(rworld.desk, second, scan, doc_code="TP2", name="Tờ khai")
    dossiers.perform(rworld.desk, second, "accept", note="Đủ.")  # the transition that follows the upload
    # then the facts say so, each on its day
    today = timezone.localdate()
    t = queries.totals(Scope(today, today))
    assert (t.counts["results_issued"], t.counts["digitised_results"]) == (1, 1)
    assert (t.counts["stored_reused"], t.counts["digitised_dossiers"]) == (1, 1)
    assert [d.pk for d in queries.drilldown(Scope(today, today), "results_issued")] == [first.pk]
    assert [d.pk for d in queries.drilldown(Scope(today, today), "stored_reused")] == [second.pk]
    assert DossierFact.objects.get(pk=second.pk).digitised is True
    # and the rebuild from the source tables agrees
    assert_rebuild_matches()


@pytest.mark.django_db(transaction=True)
def test_a_fee_paid_online_through_the_gateway_is_counted_with_its_amount(server, gateway, fee_world):
    # given Bích's online dossier that owes 10.000 đồng
    dossier = submitted(fee_world)
    # when she pays at the (simulated) gateway, which confirms by IPN to the live server
    begun = start(server, dossier)
    gateway.pay(begun.redirect_url)
    wait_for(lambda: status_of(begun.payment) == "paid")
    # then the fact counts one fee paid online, with its amount, on the day paid
    today = timezone.localdate()
    t = queries.totals(Scope(today, today))
    assert t.counts["fees_paid_online"] == 1 and t.extra["fees_paid"] == 1 and t.fees_online_vnd == 10000
    assert [d.pk for d in queries.drilldown(Scope(today, today), "fees_paid_online")] == [dossier.pk]
    assert_rebuild_matches()
