"""A linked chain counts once per sub-dossier in its own agency and once as a chain, never double; the national
portal's acknowledgements move onto the facts; the rebuild agrees with the incremental path."""

# ruff: noqa: F811 - pytest fixtures imported from the linked app's conftest, then used as arguments
from __future__ import annotations

import pytest
from django.utils import timezone

from motcua.analytics import queries
from motcua.analytics.models import DossierFact
from motcua.analytics.queries import Scope
from motcua.dossiers.models import Dossier
from motcua.exchange import services as exchange
from motcua.exchange.models import OutboxMessage
from motcua.linked.tests.conftest import (  # noqa: F401 - the fixtures linked_world, linked_catalogue, partners
    birth_partners,
    linked_catalogue,
    linked_world,
    partners,
    process_internal,
    submit_and_accept,
)

from .facts_fixtures import assert_rebuild_matches

pytestmark = pytest.mark.django_db


def _outbox_share() -> tuple[int, int]:
    """The old ad-hoc scan of the outbox: dossiers with a portal message, and those with every one accepted."""
    messages = OutboxMessage.objects.filter(kind=exchange.PORTAL_STATUS_KIND)
    total = messages.values("dossier_code").distinct().count()
    behind = messages.exclude(status=OutboxMessage.Status.ACCEPTED).values("dossier_code").distinct().count()
    return total, total - behind


def test_a_linked_chain_counts_once_per_part_and_once_as_a_chain(linked_world, partners):
    # given the birth chain: civil status inside motcua, police and social insurance outside; the portal on
    birth_partners(partners)
    partners("dvcqg")
    umbrella, _chain = submit_and_accept(linked_world)
    # when the worker delivers, the internal agency opens its sub-dossier: counted before anyone touches it
    exchange.deliver_due()
    sub = Dossier.objects.get(parent=umbrella)
    assert DossierFact.objects.filter(pk=sub.pk, received_day__isnull=False, chain=False).exists()
    # when the commune's officials finish it and the other agencies answer
    process_internal(sub, linked_world)
    exchange.deliver_due()
    exchange.deliver_due()
    umbrella.refresh_from_db()
    sub.refresh_from_db()
    assert umbrella.status == "returned" and sub.status == "returned"

    today = timezone.localdate()
    scope = Scope(today, today)
    parts, chains = queries.totals(scope), queries.totals(Scope(today, today, chains=True))
    # then the sub-dossier counts in its own agency, the request once as a chain, and neither in the other
    assert (parts.counts["received"], parts.counts["resolved"]) == (1, 1)
    assert (chains.counts["received"], chains.counts["resolved"]) == (1, 1)
    assert [d.pk for d in queries.drilldown(scope, "received")] == [sub.pk]
    assert [d.pk for d in queries.drilldown(Scope(today, today, chains=True), "received")] == [umbrella.pk]
    assert DossierFact.objects.get(pk=umbrella.pk).chain is True
    assert {r.key for r in queries.breakdown(scope, "procedure")} == {str(sub.procedure_id)}
    # and the portal's acknowledgements, read from the facts, agree with a scan of the outbox
    from motcua.linked.selectors import portal_sync_share

    total, synced = _outbox_share()
    share = portal_sync_share()
    assert (share["dossiers"], share["synced"]) == (total, synced) == (2, 2)
    # and a rebuild from the action log and the outbox gives the same facts
    assert_rebuild_matches()


def test_an_unsynchronised_change_shows_until_the_portal_acknowledges_it(linked_world, partners):
    # given a request whose two status changes wait in the outbox for the portal
    birth_partners(partners)
    partners("dvcqg")
    umbrella, _chain = submit_and_accept(linked_world)
    today = timezone.localdate()
    figures = queries.totals(Scope(today, today, chains=True))
    # then it is sent, not synced
    assert figures.extra["portal_sent"] == 1 and figures.counts["portal_synced"] == 0
    assert _outbox_share() == (1, 0)
    # when the portal acknowledges them
    exchange.deliver_due()
    figures = queries.totals(Scope(today, today, chains=True))
    assert figures.counts["portal_synced"] == 1
    assert [d.pk for d in queries.drilldown(Scope(today, today, chains=True), "portal_synced")] == [umbrella.pk]
    assert_rebuild_matches()
