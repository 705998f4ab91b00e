"""Who may print what: the agencies whose tracking book an official may read."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from motcua.accounts.models import Role, User
from motcua.accounts.services import agencies_for, grants, is_system_admin
from motcua.catalog.models import Agency, AgencyKind


def book_agencies(user: User) -> QuerySet[Agency]:
    """The agencies whose tracking book (Mẫu 06) the user may read: those where they hold any role, every agency
    of the province where they are an auditor (the rule `dossiers.selectors.visible_dossiers` applies to their
    dossiers), all for a system administrator; nothing for anyone else."""
    if not getattr(user, "is_authenticated", False):
        return Agency.objects.none()
    if is_system_admin(user):
        return Agency.objects.filter(is_active=True).order_by("name")
    cond = Q(id__in=agencies_for(user))
    audited = {g.agency_id for g in grants(user) if g.role == Role.AUDITOR}
    if audited:
        provinces = Agency.objects.filter(id__in=audited, kind=AgencyKind.PROVINCE).values("province_code")
        cond |= Q(province_code__in=provinces)
    return Agency.objects.filter(cond, is_active=True).select_related("parent").order_by("name")
