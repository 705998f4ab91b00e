"""Authorisation matrix: every route that shows or changes a dossier, called by every kind of caller.

The routes are enumerated from the URL resolver first: a route that looks like a dossier route and has no rule
here fails the suite, so a new page or endpoint cannot ship without someone deciding who may use it.

Outcomes: a citizen asking for someone else's dossier gets 404 (its existence is never confirmed), a citizen on
the back office 403, an anonymous caller the login page (pages) or 401 (API); an official of another agency is
a stranger to the dossier: 404. Pages are called with a session (officials past the second factor), the API
with bearer tokens.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from motcua.accounts.models import Role, RoleAssignment, User
from motcua.accounts.services import create_api_token
from motcua.accounts.testing import signed_in_client
from motcua.conftest import VALID_BIRTH, World
from motcua.dossiers import services
from motcua.dossiers.models import Dossier, Status
from motcua.portal.tests.helpers import PNG

# --- who calls ------------------------------------------------------------------------------------------------

SAME_AGENCY = ("desk", "specialist", "leader", "coordinator", "agency_admin", "auditor")
ACTORS = (
    "applicant",  # the citizen who submitted the dossier
    "other_citizen",
    *SAME_AGENCY,  # officials of the agency the dossier was submitted to, one per role
    "other_agency",  # the desk of another commune
    "sysadmin",  # superuser with the system administrator role (sees every agency's dossiers)
    "desk_no_otp",  # the agency's desk after the password only: back office closed until the code
    "anonymous",
)
CITIZENS = ("applicant", "other_citizen")
CHILD = VALID_BIRTH["ho_ten_tre"]  # personal data that must never appear in a refusal
DRAFT_MARK = "Bản Nháp Riêng Tư"

# --- the rules ---------------------------------------------------------------------------------------------------
#
# "shown" / "hidden": 200, and the dossier's code is / is not on the page (lists)
# "login": 302 to the login page; "otp": 302 to the second-factor page; "302:<path>": a redirect there
# "file": 200 with the stored document; "own_draft": the draft page (or the eID level page, 403, without it)
# "denied": 403 or 404, nothing of the draft shown; a number: that status; None: not applicable


def outcomes(
    *,
    applicant: str,
    other_citizen: str,
    officials: str,
    other_agency: str,
    anonymous: str,
    sysadmin: str | None = None,
    desk_no_otp: str | None = None,
    **per_role: str,
) -> dict[str, str | None]:
    table: dict[str, str | None] = {
        "applicant": applicant,
        "other_citizen": other_citizen,
        "other_agency": other_agency,
        "sysadmin": sysadmin if sysadmin is not None else officials,
        "anonymous": anonymous,
    }
    for role in SAME_AGENCY:
        table[role] = per_role.pop(role, officials)
    assert not per_role, per_role
    table["desk_no_otp"] = desk_no_otp if desk_no_otp is not None else table["desk"]
    return table


def back_office(**kw: str) -> dict[str, str | None]:
    """Back-office pages: citizens 403, anonymous to the login, a password-only session to the code."""
    kw.setdefault("applicant", "403")
    kw.setdefault("other_citizen", "403")
    kw.setdefault("anonymous", "login")
    kw.setdefault("desk_no_otp", "otp")
    return outcomes(**kw)


def own_only(ok: str, anonymous: str = "login") -> dict[str, str | None]:
    """The applicant's own pages: everyone else, officials included, gets 404."""
    return outcomes(applicant=ok, other_citizen="404", officials="404", other_agency="404", anonymous=anonymous)


def api(**kw: str) -> dict[str, str | None]:
    """API: bearer tokens (not subject to TOTP, so no password-only case); anonymous 401."""
    kw.setdefault("anonymous", "401")
    return {**outcomes(**kw), "desk_no_otp": None}


def public(outcome: str, *, api_call: bool = False) -> dict[str, str | None]:
    """The same answer for everyone, logged in or not."""
    return {**dict.fromkeys(ACTORS, outcome), **({"desk_no_otp": None} if api_call else {})}


@dataclass(frozen=True)
class Rule:
    name: str  # the route's name as the resolver knows it ("namespace:name")
    method: str
    path: str  # {code} {doc} {draft} {pin} filled from the test data
    expect: dict[str, str | None]
    body: str = ""  # which request body (see `_body`)
    target: str = "submitted"  # which dossier: "submitted" (waiting for the desk) or "processing" (at the specialist)
    why: str = field(default="", compare=False)


RULES: list[Rule] = [
    # --- portal: the applicant's own pages
    Rule(
        "portal:my_dossiers",
        "GET",
        "/ho-so/",
        outcomes(
            applicant="shown",
            other_citizen="hidden",
            officials="hidden",
            other_agency="hidden",
            anonymous="login",
        ),
    ),
    Rule(
        "portal:dossier",
        "GET",
        "/ho-so/{code}/",
        outcomes(
            applicant="shown",
            other_citizen="404",
            officials="302:/can-bo/ho-so/{code}/",
            other_agency="302:/can-bo/ho-so/{code}/",  # where it is 404 in turn: no existence leak
            anonymous="login",
        ),
    ),
    Rule("portal:submitted", "GET", "/ho-so/{code}/da-nop/", own_only("shown")),
    Rule("portal:supplement", "GET", "/ho-so/{code}/bo-sung/", own_only("302:/ho-so/{code}/")),
    Rule("portal:withdraw", "GET", "/ho-so/{code}/rut/", own_only("shown")),
    Rule("portal:withdraw", "POST", "/ho-so/{code}/rut/", own_only("302:/ho-so/{code}/"), body="withdraw"),
    Rule("portal:upload", "POST", "/ho-so/{code}/giay-to/", own_only("302:/ho-so/{code}/"), body="empty"),
    Rule("portal:document", "GET", "/ho-so/{code}/giay-to/{doc}/", own_only("file")),
    Rule(
        "portal:follow_on",
        "GET",
        "/ho-so/{code}/lien-thong-tiep/",
        own_only("302:/ho-so/{code}/"),
        why="the life-event proposal is the applicant's own; a dossier with nothing to propose leads back to it",
    ),
    Rule("portal:follow_on", "POST", "/ho-so/{code}/lien-thong-tiep/", own_only("302:/ho-so/{code}/"), body="empty"),
    Rule(
        "portal:apply",
        "GET",
        "/thu-tuc/1.001193/nop/?nhap={draft}",
        outcomes(
            applicant="own_draft",
            other_citizen="denied",
            officials="denied",
            other_agency="denied",
            anonymous="login",
        ),
        why="a draft is only ever opened by its author",
    ),
    # --- public look-up by code + PIN: the same for everyone, nothing personal
    Rule("portal:lookup", "POST", "/tra-cuu/", public("shown"), body="lookup_right"),
    Rule("portal:lookup", "POST", "/tra-cuu/", public("404"), body="lookup_wrong"),
    Rule("api:lookup", "GET", "/api/v1/lookup?code={code}&pin={pin}", public("200", api_call=True)),
    Rule("api:lookup", "GET", "/api/v1/lookup?code={code}&pin=000000", public("404", api_call=True)),
    # --- back office
    Rule(
        "backoffice:dashboard",
        "GET",
        "/can-bo/",
        back_office(officials="hidden", desk="shown", other_agency="hidden"),
    ),
    Rule(
        "backoffice:desk",
        "GET",
        "/can-bo/mot-cua/",
        back_office(officials="hidden", desk="shown", other_agency="hidden"),
    ),
    Rule(
        "backoffice:tasks",
        "GET",
        "/can-bo/viec-cua-toi/",
        back_office(officials="hidden", specialist="shown", other_agency="hidden"),
        target="processing",
    ),
    Rule("backoffice:dossiers", "GET", "/can-bo/ho-so/", back_office(officials="shown", other_agency="hidden")),
    Rule("backoffice:dossier", "GET", "/can-bo/ho-so/{code}/", back_office(officials="shown", other_agency="404")),
    Rule(
        "backoffice:dossier",
        "POST",
        "/can-bo/ho-so/{code}/",
        back_office(officials="409", desk="302:/can-bo/ho-so/{code}/", other_agency="404"),
        body="accept_page",
    ),
    Rule(
        "backoffice:document",
        "GET",
        "/can-bo/ho-so/{code}/giay-to/{doc}/",
        back_office(officials="file", other_agency="404"),
    ),
    Rule(
        "store:dossier_document",
        "GET",
        "/can-bo/ho-so/{code}/kho/1/",
        back_office(officials="404", other_agency="404"),
        why="a stored document only through a dossier that reused it (this one reused none): 404 for all",
    ),
    Rule(
        "backoffice:linked",
        "GET",
        "/can-bo/lien-thong/",
        back_office(officials="hidden", other_agency="hidden"),
        why="the coordinators' list of open linked requests (an ordinary dossier is never on it)",
    ),
    Rule(
        "backoffice:calendar",
        "GET",
        "/can-bo/lich/",
        back_office(officials="403", agency_admin="200", sysadmin="200", other_agency="403"),
        why="no dossier on it, but a back-office page: covered so that every /can-bo/ page has a rule",
    ),
    Rule(
        "backoffice:audit_log",
        "GET",
        "/can-bo/nhat-ky/",
        back_office(officials="403", auditor="200", sysadmin="200", other_agency="403"),
        why="the audit trail (who read or changed which dossier): auditors and system administrators only",
    ),
    # --- the one-stop forms as PDF (motcua/documents)
    Rule(
        "backoffice:dossier_form",
        "GET",
        "/can-bo/ho-so/{code}/bieu-mau/01/",
        back_office(officials="200", other_agency="404"),
        target="processing",
        why="forms 01-05 for whoever may see the dossier, like the dossier page",
    ),
    Rule(
        "backoffice:tracking_book",
        "GET",
        "/can-bo/so-theo-doi/?co_quan=000.31.10.H49&tu=2026-01-01&den=2026-01-31",
        back_office(officials="200", other_agency="403"),
        why="the tracking book: officials of the agency, auditors of its province; agencies are public, so 403",
    ),
    Rule("portal:dossier_form", "GET", "/ho-so/{code}/bieu-mau/01/", own_only("200"), target="processing"),
    Rule(
        "api:dossier_form",
        "GET",
        "/api/v1/dossiers/{code}/forms/01",
        api(applicant="200", other_citizen="404", officials="200", other_agency="404"),
        target="processing",
    ),
    Rule(
        "api:dossier_form",
        "GET",
        "/api/v1/dossiers/{code}/forms/05",
        api(applicant="403", other_citizen="404", officials="200", other_agency="404"),
        target="processing",
        why="the process-control sheet is the agencies' record: the applicant sees the dossier but not this form",
    ),
    # --- API (bearer tokens)
    Rule(
        "api:list_dossiers",
        "GET",
        "/api/v1/dossiers",
        api(applicant="shown", other_citizen="hidden", officials="shown", other_agency="hidden"),
    ),
    Rule(
        "api:create",
        "POST",
        "/api/v1/dossiers",
        api(applicant="201", other_citizen="201", officials="403", other_agency="403"),
        body="create",
        why="online dossiers are submitted by citizens and businesses themselves",
    ),
    Rule(
        "api:get_dossier",
        "GET",
        "/api/v1/dossiers/{code}",
        api(applicant="shown", other_citizen="404", officials="shown", other_agency="404"),
    ),
    Rule(
        "api:act",
        "POST",
        "/api/v1/dossiers/{code}/actions",
        api(applicant="409", other_citizen="404", officials="409", desk="200", other_agency="404"),
        body="accept_api",
        why="who may see it gets 409 for an action not theirs, a stranger 404",
    ),
    Rule(
        "api:upload",
        "POST",
        "/api/v1/dossiers/{code}/documents",
        api(applicant="201", other_citizen="404", officials="404", desk="201", other_agency="404"),
        body="upload",
        why="only the applicant and the receiving desk add documents; the engine answers 404 to everyone else",
    ),
    # --- fees (motcua/payments); the dossier owes nothing and no gateway is configured, "X" is no payment
    Rule(
        "payments:start",
        "POST",
        "/ho-so/{code}/nop-phi/",
        own_only("302:/ho-so/{code}/"),
        body="empty",
        why="the applicant starts paying (refused here: back to the dossier with the reason); officials never do",
    ),
    Rule("payments:receipt", "GET", "/ho-so/{code}/bien-lai/X/", own_only("404")),
    Rule(
        "payments:desk",
        "POST",
        "/can-bo/ho-so/{code}/thu-phi-tai-quay/",
        back_office(officials="302:/can-bo/ho-so/{code}/", other_agency="404"),
        body="empty",
        why="'collected at the desk': whoever sees the dossier is sent back to it with the refusal (desk role, fee)",
    ),
    Rule(
        "payments:official_receipt",
        "GET",
        "/can-bo/ho-so/{code}/bien-lai/X/",
        back_office(officials="404", other_agency="404"),
    ),
    Rule(
        "api:list_payments",
        "GET",
        "/api/v1/dossiers/{code}/payments",
        api(applicant="200", other_citizen="404", officials="200", other_agency="404"),
    ),
    Rule(
        "api:start_payment",
        "POST",
        "/api/v1/dossiers/{code}/payments",
        api(applicant="409", other_citizen="404", officials="403", other_agency="404"),
        body="payment_start",
        why="only the applicant pays online (409 here: nothing owed online); officials record desk payments instead",
    ),
    Rule(
        "api:payment_receipt",
        "GET",
        "/api/v1/dossiers/{code}/payments/X/receipt",
        api(applicant="404", other_citizen="404", officials="404", other_agency="404"),
    ),
    Rule(
        "api:payment_refund",
        "POST",
        "/api/v1/dossiers/{code}/payments/X/refund",
        api(applicant="404", other_citizen="404", officials="404", other_agency="404"),
        body="refund",
    ),
]

# --- enumerating the project's routes -------------------------------------------------------------------------

DOSSIER_ROUTE = re.compile(r"(^|/)(ho-so|can-bo|tra-cuu|nop|dossiers?|lookup)(/|$)")


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    """(full pattern, "namespace:name" or the pattern itself when unnamed) for every URL of the project."""
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            yield pattern, f"{namespace}{entry.name}" if entry.name else pattern


def project_routes() -> dict[str, str]:
    return {name: pattern for pattern, name in _walk(get_resolver())}


def dossier_routes() -> dict[str, str]:
    return {name: pattern for name, pattern in project_routes().items() if DOSSIER_ROUTE.search(pattern)}


def api_methods() -> dict[str, set[str]]:
    """ "api:<name>" → the HTTP methods its operation serves, from django-ninja's own registry."""
    from motcua.api import api as ninja_api

    methods: dict[str, set[str]] = {}
    for _prefix, router in ninja_api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                name = f"api:{ninja_api.get_operation_url_name(operation, router=router)}"
                methods.setdefault(name, set()).update(operation.methods)
    return methods


def test_every_dossier_route_has_a_rule():
    routes = dossier_routes()
    # the enumeration itself works (it found the routes we know of)
    assert {"portal:dossier", "backoffice:dossier", "api:get_dossier", "api:act"} <= set(routes)
    missing = sorted(set(routes) - {r.name for r in RULES})
    assert not missing, f"dossier routes without an authorisation rule in {__name__}: {missing}"


def test_every_rule_names_a_real_route_and_method():
    routes = project_routes()
    stale = sorted({r.name for r in RULES} - set(routes))
    assert not stale, f"rules for routes that no longer exist: {stale}"
    methods = api_methods()
    for rule in RULES:
        if rule.name.startswith("api:"):
            assert rule.method in methods[rule.name], f"{rule.name} does not serve {rule.method}"
        assert set(rule.expect) == set(ACTORS), rule


def test_every_api_operation_on_dossiers_has_a_rule_for_each_of_its_methods():
    covered = {(r.name, r.method) for r in RULES}
    for name, methods in api_methods().items():
        if name in dossier_routes():
            for method in methods:
                assert (name, method) in covered, f"{method} {name} has no rule"


# --- the data every case runs against -----------------------------------------------------------------------------


@dataclass
class Data:
    world: World
    users: dict[str, User]
    tokens: dict[str, str]
    dossiers: dict[str, Dossier]
    doc_id: int
    pin: str
    draft_id: int


@pytest.fixture
def data(world: World, settings, tmp_path) -> Data:
    settings.MEDIA_ROOT = tmp_path / "media"

    def official(username: str, role: str, where) -> User:
        user = User.objects.create_user(username, password="mat-khau-thu-nghiem-1", full_name=username)
        RoleAssignment.objects.create(user=user, agency=where, role=role)
        return user

    extra = {
        "coordinator": official("coordinator", Role.COORDINATOR, world.agency),
        "agency_admin": official("agency_admin", Role.AGENCY_ADMIN, world.agency),
        "auditor": official("commune_auditor", Role.AUDITOR, world.agency),
        "sysadmin": official("sysadmin", Role.SYSTEM_ADMIN, world.agency.parent),
    }
    User.objects.filter(pk=extra["sysadmin"].pk).update(is_staff=True, is_superuser=True)
    extra["sysadmin"].refresh_from_db()
    users = {
        "applicant": world.citizen,
        "other_citizen": world.other_citizen,
        "desk": world.desk,
        "specialist": world.specialist,
        "leader": world.leader,
        "other_agency": world.other_desk,
        "desk_no_otp": world.desk,
        **extra,
    }
    tokens = {
        "applicant": world.tokens["citizen"],
        "other_citizen": world.tokens["other_citizen"],
        "desk": world.tokens["desk"],
        "specialist": world.tokens["specialist"],
        "leader": world.tokens["leader"],
        "other_agency": world.tokens["other_desk"],
        **{name: create_api_token(user) for name, user in extra.items()},
    }

    def submit() -> services.SubmitResult:
        return services.submit_dossier(
            world.citizen,
            procedure_code=world.procedure.code,
            agency_code=world.agency.code,
            channel="online",
            data=dict(VALID_BIRTH),
        )

    submitted = submit()
    doc = services.attach_document(
        world.citizen,
        submitted.dossier,
        SimpleUploadedFile("giay-chung-sinh.png", PNG, content_type="image/png"),
        doc_code="TP1",
        name="Giấy chứng sinh",
    )
    processing = services.perform(
        world.desk,
        submit().dossier,
        "accept",
        payload={"checklist": [{"doc": "TP1", "present": True, "original": True}]},
    )
    draft = services.save_draft(
        world.citizen,
        procedure_code=world.procedure.code,
        agency_code=world.agency.code,
        data={"ho_ten_tre": DRAFT_MARK},
    )
    return Data(
        world=world,
        users=users,
        tokens=tokens,
        dossiers={"submitted": submitted.dossier, "processing": processing},
        doc_id=doc.pk,
        pin=submitted.pin,
        draft_id=draft.pk,
    )


def _body(kind: str, data: Data) -> dict:
    """Keyword arguments for the test client's request."""
    code = data.dossiers["submitted"].code
    if kind == "withdraw":
        return {"data": {"reason": "Nộp nhầm thủ tục.", "confirm": "on"}}
    if kind == "empty":
        return {"data": {}}
    if kind == "lookup_right":
        return {"data": {"code": code, "pin": data.pin}}
    if kind == "lookup_wrong":
        return {"data": {"code": code, "pin": "000000" if data.pin != "000000" else "111111"}}
    if kind == "accept_page":
        return {"data": {"action": "accept", "present_TP1": "on", "original_TP1": "1", "note": ""}}
    if kind == "accept_api":
        body = {"action": "accept", "checklist": [{"doc": "TP1", "present": True, "original": True}]}
        return {"data": json.dumps(body), "content_type": "application/json"}
    if kind == "create":
        body = {"procedure": "1.001193", "agency": data.world.agency.code, "channel": "online", "data": VALID_BIRTH}
        return {"data": json.dumps(body), "content_type": "application/json"}
    if kind == "upload":
        return {"data": {"file": SimpleUploadedFile("ban-sao.png", PNG, content_type="image/png"), "doc_code": "TP1"}}
    if kind == "payment_start":
        return {"data": "{}", "content_type": "application/json", "HTTP_IDEMPOTENCY_KEY": "nop-1"}
    if kind == "refund":
        return {"data": json.dumps({"reason": "Thu nhầm."}), "content_type": "application/json"}
    assert not kind, kind
    return {}


def _client(actor: str, api_call: bool, data: Data) -> tuple[Client, dict]:
    if actor == "anonymous":
        return Client(), {}
    if api_call:
        return Client(), {"HTTP_AUTHORIZATION": f"Bearer {data.tokens[actor]}"}
    user = data.users[actor]
    if actor == "desk_no_otp":
        client = Client()
        client.force_login(user)
        return client, {}
    return signed_in_client(user), {}


def _content(response: HttpResponse) -> bytes:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
        response.close()
        return content
    return response.content


def check(response: HttpResponse, outcome: str, code: str, label: str) -> None:
    status = response.status_code
    location = response.get("Location", "")
    body = _content(response)
    text = body.decode(errors="replace")
    got = f"{label}: expected {outcome}, got {status} {location}".strip()
    if outcome == "login":
        assert status == 302 and location.startswith("/tai-khoan/dang-nhap/?next="), got
    elif outcome == "otp":
        assert status == 302 and re.match(r"/tai-khoan/(xac-thuc|thiet-lap)-2-buoc/\?next=", location), got
    elif outcome.startswith("302:"):
        assert status == 302 and location == outcome[4:].format(code=code), got
    elif outcome in ("shown", "hidden"):
        assert status == 200, got
        assert (code in text) == (outcome == "shown"), f"{got}; code {'missing' if outcome == 'shown' else 'listed'}"
    elif outcome == "file":
        assert status == 200 and body == PNG, got
    elif outcome == "own_draft":
        # the draft's page, or (403) the page asking for a higher eID level, which shows nothing of the draft
        assert (status == 200 and DRAFT_MARK in text) or (status == 403 and DRAFT_MARK not in text), got
    elif outcome == "denied":
        assert status in (403, 404) and DRAFT_MARK not in text, got
    else:
        assert status == int(outcome), got
    if status in (401, 403, 404):
        assert CHILD not in text, f"{label}: a refusal shows the dossier's content"


CASES = [
    pytest.param(rule, actor, id=f"{rule.method} {rule.path}{' ' + rule.body if rule.body else ''} as {actor}")
    for rule in RULES
    for actor in ACTORS
    if rule.expect.get(actor) is not None
]


@pytest.mark.parametrize(("rule", "actor"), CASES)
def test_authorisation(rule: Rule, actor: str, data: Data):
    dossier = data.dossiers[rule.target]
    path = rule.path.format(code=dossier.code, doc=data.doc_id, draft=data.draft_id, pin=data.pin)
    client, headers = _client(actor, path.startswith("/api/"), data)
    send = getattr(client, rule.method.lower())
    response = send(path, **_body(rule.body, data), **headers)
    check(response, rule.expect[actor], dossier.code, f"{rule.method} {path} as {actor}")


def test_the_allowed_changes_really_happened(data: Data):
    """The matrix's 'allowed' answers are not empty words: the state changed as the answer says."""
    code = data.dossiers["submitted"].code
    client, headers = _client("desk", True, data)
    assert client.post(f"/api/v1/dossiers/{code}/actions", **_body("accept_api", data), **headers).status_code == 200
    assert Dossier.objects.get(code=code).status == Status.PROCESSING
    client = signed_in_client(data.world.citizen)
    other = data.dossiers["processing"].code
    assert client.post(f"/ho-so/{other}/rut/", **_body("withdraw", data)).status_code == 302
    assert Dossier.objects.get(code=other).status == Status.WITHDRAWN


def test_api_with_a_password_only_official_session_is_refused(data: Data):
    client = Client()
    client.force_login(data.world.desk)
    assert client.get(f"/api/v1/dossiers/{data.dossiers['submitted'].code}").status_code == 401
