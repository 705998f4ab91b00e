"""Read queries for dossiers. Every query starts from what the caller may see (object-level authorisation)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from motcua.accounts.models import Role, User
from motcua.accounts.services import agencies_for, grants, is_system_admin
from motcua.audit import services as audit
from motcua.catalog.models import Agency, AgencyKind
from motcua.core.errors import NotFound
from motcua.identity.models import EnterpriseRepresentative

from . import codes
from .models import OPEN_STATUSES, Dossier, Status


def visible_dossiers(user: User) -> QuerySet[Dossier]:
    """Officials see their agencies' dossiers; citizens their own and their enterprises'. Drafts only to their
    author."""
    qs = Dossier.objects.select_related("procedure", "agency", "version")
    if not user.is_authenticated:
        return qs.none()
    if is_system_admin(user):
        return qs.filter(~Q(status=Status.DRAFT) | Q(applicant=user))
    mine = Q(applicant=user)
    if user.is_citizen:
        # A business representative also sees the dossiers filed for the enterprises the eID says they act for
        # (a subquery: no extra round trip).
        represented = EnterpriseRepresentative.objects.filter(user=user).values("enterprise__tax_code")
        mine |= Q(enterprise_tax_code__in=represented) & ~Q(status=Status.DRAFT)
    agencies = agencies_for(user)
    if agencies:
        theirs = Q(agency_id__in=agencies)
        # An auditor, a linked-service coordinator or a leader at a province sees (read-only: they hold no step's
        # role there) every dossier of the province's agencies: the operations centre's drill-downs open them.
        wide = {g.agency_id for g in grants(user) if g.role in (Role.AUDITOR, Role.COORDINATOR, Role.LEADER)}
        if wide:
            provinces = Agency.objects.filter(id__in=wide, kind=AgencyKind.PROVINCE).values("province_code")
            theirs |= Q(agency__province_code__in=provinces)
        return qs.filter(mine | (theirs & ~Q(status=Status.DRAFT)))
    return qs.filter(mine)


def dossier_for(user: User, code: str, *, reason: str = "xem hồ sơ", audit_read: bool = True) -> Dossier:
    """One dossier the caller may see, else 404 (never 403: another's dossier must not be confirmed to exist)."""
    dossier = visible_dossiers(user).filter(code=code).first()
    if dossier is None:
        raise NotFound(f"Không tìm thấy hồ sơ {code}.")
    if audit_read and dossier.applicant_id != user.id:
        # Every read of a citizen's dossier by an official is audited.
        audit.record(actor=user, action="dossier.read", obj_type="dossier", obj_id=code, reason=reason)
    return dossier


def history(dossier: Dossier):
    return dossier.actions.select_related("actor").order_by("seq")


def desk_queue(user: User) -> QuerySet[Dossier]:
    """Dossiers waiting for the desk: to accept, or with a result to return."""
    agencies = {g.agency_id for g in grants(user) if g.role == Role.DESK}
    return (
        visible_dossiers(user)
        .filter(agency_id__in=agencies, status__in=[Status.SUBMITTED, Status.RESULT_READY])
        .order_by("acceptance_due_at", "due_at", "submitted_at")
    )


def my_tasks(user: User) -> QuerySet[Dossier]:
    """Dossiers at a processing step whose role the caller holds in that agency, soonest deadline first."""
    cond = Q(pk__in=[])
    for g in grants(user):
        cond |= Q(agency_id=g.agency_id, current_role=g.role)
    return visible_dossiers(user).filter(cond, status=Status.PROCESSING).order_by("step_due_at", "due_at")


def open_dossiers(user: User) -> QuerySet[Dossier]:
    return visible_dossiers(user).filter(status__in=OPEN_STATUSES)


def public_lookup(code: str, pin: str) -> dict | None:
    """Status and appointment for code + PIN, without any personal data."""
    dossier = Dossier.objects.select_related("procedure", "agency").filter(code=code).first()
    if dossier is None or not codes.pin_matches(code, pin, dossier.pin_hash):
        return None
    return {
        "code": dossier.code,
        "procedure": dossier.procedure.name,
        "agency": dossier.agency.name,
        "status": dossier.status,
        "status_label": dossier.get_status_display(),
        "submitted_at": dossier.submitted_at,
        "due_at": dossier.due_at,
        "outcome": dossier.outcome,
    }
