"""Identity use cases: logging a citizen in from the national eID, the assurance a procedure needs, filling a
declaration from the population registry ("provide once") and checking the applicant against it.

Form fields say where their value lives with a JSON Schema annotation, `"x-registry": "<root>.<path>"`:

- roots: `person` (the logged-in citizen), `spouse`, `father`, `mother` (their own registry records, found
  through the citizen's record), `couple.female` / `couple.male` (the woman / the man of the citizen's couple:
  the citizen or their spouse, e.g. the mother and father on a birth declaration), `household` (the citizen's
  registered household; `household.head` is its head);
- paths follow the registry document (`full_name`, `personal_id`, `birth_date`, `gender`, `ethnicity`,
  `nationality`, `permanent_residence.commune_code`, `spouse.full_name` …) plus derived leaves: `birth_year`,
  `<residence>.address` (one line: address, commune, province) and `current_residence.address` (temporary
  residence if any, else permanent).

`"x-editable": true` lets the citizen change a pre-filled value; any other pre-filled field is read-only and the
server puts the registry value back whatever is posted. `"x-min-assurance"` on the schema is the eID level the
procedure needs; `"x-provided-by": "registry"` on a document means the form never asks for it.
"""

from __future__ import annotations

import logging
import time
import unicodedata
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth import login
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.accounts.models import User
from motcua.audit import services as audit
from motcua.core.errors import ValidationFailed

from . import oidc, registry
from .models import Assurance, EidAccount, Enterprise, EnterpriseRepresentative

try:  # the shared identifier rules, when present; else the same official checksum here
    from motcua.core.identifiers import validate_tax_code
except ImportError:  # pragma: no cover - the module ships with the project today
    _WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)

    def validate_tax_code(code: str) -> None:
        if not (isinstance(code, str) and len(code) == 10 and code.isascii() and code.isdigit()):
            raise ValueError("Mã số thuế phải gồm 10 chữ số.")
        check = 10 - sum(int(d) * w for d, w in zip(code, _WEIGHTS, strict=False)) % 11
        if check == 10 or int(code[9]) != check:
            raise ValueError("Mã số thuế sai chữ số kiểm tra (chữ số thứ 10).")


log = logging.getLogger("motcua.identity")

LEVELS = [Assurance.NONE, Assurance.LOA1, Assurance.LOA2]  # lowest first
SOURCE_REGISTRY = "registry"
SOURCE_CITIZEN = "citizen"
ROOTS = ("couple.female", "couple.male", "person", "spouse", "father", "mother", "household")
IDENTITY_ATTRS = ("full_name", "personal_id", "birth_date", "gender")  # what "the applicant is who they say" means
PREFILL_SESSION_PREFIX = "identity.prefill."
PREFILL_TTL_SECONDS = 900  # the registry is asked again after 15 minutes, not on every page of the form


# --- assurance -----------------------------------------------------------------------------------------------


def _level(value: Any) -> str:
    value = str(value or "").strip().lower()
    return value if value in LEVELS else Assurance.NONE


def local_login_assurance() -> str:
    """The level of a password login: no identity proof unless the operator says otherwise (demo benches)."""
    return _level(getattr(settings, "MOTCUA_LOCAL_LOGIN_ASSURANCE", Assurance.NONE))


def required_assurance(version: Any) -> str:
    """The eID level a procedure version needs (`x-min-assurance` on its form schema): none, loa1 or loa2."""
    schema = getattr(version, "form_schema", None) or {}
    return _level(schema.get("x-min-assurance") if isinstance(schema, dict) else None)


def user_assurance(user: Any, *, session: SessionBase | None = None) -> str:
    """The identity level of the user's current login.

    With the session (web pages): the level of the eID login that opened it, or the local level for a password
    login. Without (API, services): the level of the user's latest login, kept on their eID link.
    """
    if not getattr(user, "is_authenticated", False):
        return Assurance.NONE
    if session is not None:
        return _level(session.get(oidc.ASSURANCE_KEY)) if session.get(oidc.ASSURANCE_KEY) else local_login_assurance()
    account = EidAccount.objects.filter(user_id=user.pk).only("assurance").first()
    return _level(account.assurance) if account else local_login_assurance()


def assurance_sufficient(have: str, need: str) -> bool:
    return LEVELS.index(_level(have)) >= LEVELS.index(_level(need))


def assurance_label(level: str) -> str:
    return str(Assurance(_level(level)).label)


def forget_eid_level(user: Any, session: SessionBase | None) -> None:
    """A password login replaces an earlier eID login's level (called on every non-eID login)."""
    if session is not None:
        for key in (oidc.ASSURANCE_KEY, oidc.ID_TOKEN_KEY, oidc.ENTERPRISE_KEY):
            session.pop(key, None)
    if getattr(user, "pk", None):
        EidAccount.objects.filter(user_id=user.pk).exclude(assurance=local_login_assurance()).update(
            assurance=local_login_assurance()
        )


# --- login -----------------------------------------------------------------------------------------------------


def _enterprise(identity: oidc.EidIdentity) -> tuple[str, str] | None:
    """(tax code, name) the eID asserted, when the tax code is valid; an invalid one is logged and ignored."""
    if not identity.tax_code:
        return None
    try:
        validate_tax_code(identity.tax_code)
    except ValueError as exc:
        log.warning("eID login of %s: ignoring invalid tax code %r: %s", identity.personal_id, identity.tax_code, exc)
        return None
    return identity.tax_code, identity.organisation_name or identity.tax_code


def citizen_from_identity(identity: oidc.EidIdentity) -> tuple[User, bool]:
    """Get or create the citizen keyed by personal ID number (never by e-mail); update what the eID says."""
    pid = identity.personal_id
    now = timezone.now()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(personal_id=pid).first()
        created = user is None
        if created:
            if User.objects.filter(username=pid).exists():
                raise oidc.OidcError(
                    _("Đã có một tài khoản khác mang tên đăng nhập %(pid)s. Vui lòng liên hệ quản trị hệ thống.")
                    % {"pid": pid},
                    reason="username taken by another account",
                )
            user = User(username=pid, personal_id=pid, full_name=identity.name)
            user.set_unusable_password()
            user.save()
        elif not user.is_active:
            raise oidc.OidcError(_("Tài khoản của bạn đang bị khoá."), reason="inactive user")
        elif identity.name and user.full_name != identity.name:
            user.full_name = identity.name
            user.save(update_fields=["full_name"])
        EidAccount.objects.update_or_create(
            user=user,
            defaults={
                "sub": identity.sub,
                "assurance": identity.assurance,
                "acr": identity.acr,
                "birth_date": identity.birth_date,
                "gender": identity.gender,
                "last_login_at": now,
            },
        )
        enterprise = _enterprise(identity)
        if enterprise is not None:
            row, _new = Enterprise.objects.update_or_create(tax_code=enterprise[0], defaults={"name": enterprise[1]})
            EnterpriseRepresentative.objects.update_or_create(enterprise=row, user=user, defaults={"last_seen_at": now})
        audit.record(
            actor=user,
            action="identity.eid_login",
            obj_type="user",
            obj_id=str(user.pk),
            reason="Đăng nhập bằng định danh điện tử quốc gia",
            data={
                "assurance": identity.assurance,
                "acr": identity.acr,
                "created": created,
                "enterprise": enterprise[0] if enterprise else "",
            },
        )
    return user, created


def login_citizen(request: HttpRequest, identity: oidc.EidIdentity) -> User:
    """Open a Django session for the citizen the eID vouched for; the level and ID token go in the session."""
    user, _created = citizen_from_identity(identity)
    request._motcua_eid_login = True  # type: ignore[attr-defined]  # tells the login signal to keep the level
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[oidc.ASSURANCE_KEY] = identity.assurance
    request.session[oidc.ID_TOKEN_KEY] = identity.id_token
    enterprise = _enterprise(identity)
    if enterprise is not None:
        request.session[oidc.ENTERPRISE_KEY] = {"tax_code": enterprise[0], "name": enterprise[1]}
    else:
        request.session.pop(oidc.ENTERPRISE_KEY, None)
    return user


def session_enterprise(session: SessionBase) -> dict | None:
    """{"tax_code", "name"} of the enterprise the citizen acts for in this session, if the eID said so."""
    value = session.get(oidc.ENTERPRISE_KEY)
    return value if isinstance(value, dict) else None


# --- reading the schema's annotations ---------------------------------------------------------------------------


def registry_fields(schema: dict) -> dict[str, dict]:
    """{flat field name: {"path", "editable"}} for every field annotated with x-registry (objects nest with '.')."""
    out: dict[str, dict] = {}

    def walk(node: dict, prefix: str, depth: int) -> None:
        for key, child in (node.get("properties") or {}).items():
            if not isinstance(child, dict) or depth > 6:
                continue
            name = f"{prefix}{key}"
            if isinstance(child.get("x-registry"), str) and child["x-registry"].strip():
                out[name] = {"path": child["x-registry"].strip(), "editable": child.get("x-editable") is True}
            elif child.get("type") == "object" or ("properties" in child and child.get("type") != "array"):
                walk(child, name + ".", depth + 1)

    walk(schema if isinstance(schema, dict) else {}, "", 0)
    return out


def registry_documents(documents: list[dict] | None) -> set[str]:
    """Codes of the documents the registry holds (`"x-provided-by": "registry"`): never asked of the citizen."""
    return {str(d.get("code")) for d in documents or [] if isinstance(d, dict) and d.get("x-provided-by") == "registry"}


def _split_root(path: str) -> tuple[str, str]:
    for root in ROOTS:
        if path == root or path.startswith(root + "."):
            return root, path[len(root) + 1 :]
    return "", path


def _address(residence: Any) -> str:
    if not isinstance(residence, dict):
        return ""
    parts = [residence.get("address_line"), residence.get("commune_name"), residence.get("province_name")]
    return ", ".join(str(p).strip() for p in parts if p and str(p).strip())


def _leaf(record: Any, rest: str) -> Any:
    """A value of a registry document at a dotted path, with the derived leaves described above."""
    if not isinstance(record, dict) or not rest:
        return None
    if rest == "birth_year":
        born = str(record.get("birth_date") or "")
        return int(born[:4]) if born[:4].isdigit() else None
    if rest == "current_residence.address":
        return _address(record.get("temporary_residence")) or _address(record.get("permanent_residence"))
    parts = rest.split(".")
    if parts[-1] == "address" and len(parts) >= 2:
        return _address(_leaf(record, ".".join(parts[:-1])))
    node: Any = record
    for part in parts:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


class _Records:
    """The registry documents a form needs, each fetched (and audited) at most once, only if a field uses it."""

    def __init__(self, user: Any, *, dossier_ref: str, purpose: str) -> None:
        self.user = user
        self.dossier_ref = dossier_ref
        self.purpose = purpose
        self._cache: dict[str, Any] = {}

    def _person(self, pid: str | None) -> dict | None:
        if not pid:
            return None
        key = f"pid:{pid}"
        if key not in self._cache:
            self._cache[key] = registry.person(pid, dossier_ref=self.dossier_ref, purpose=self.purpose, actor=self.user)
        return self._cache[key]

    def _relative(self, relation: str) -> dict | None:
        me = self.root("person") or {}
        link = me.get(relation)
        if not isinstance(link, dict) or not link.get("personal_id"):
            return None
        return self._person(str(link["personal_id"])) or link

    def root(self, name: str) -> dict | None:
        if name == "person":
            return self._person(getattr(self.user, "personal_id", None))
        if name in ("spouse", "father", "mother"):
            return self._relative(name)
        if name in ("couple.female", "couple.male"):
            gender = "nu" if name.endswith("female") else "nam"
            me = self.root("person")
            if me and me.get("gender") == gender:
                return me
            spouse = self._relative("spouse")
            return spouse if spouse and spouse.get("gender") == gender else None
        if name == "household":
            if "household" not in self._cache:
                pid = getattr(self.user, "personal_id", None)
                self._cache["household"] = (
                    registry.household(pid, dossier_ref=self.dossier_ref, purpose=self.purpose, actor=self.user)
                    if pid
                    else None
                )
            return _household_view(self._cache["household"])
        return None

    def value(self, path: str) -> Any:
        root, rest = _split_root(path)
        return _leaf(self.root(root), rest) if root else None


def _household_view(doc: Any) -> dict | None:
    """The household document with `head` as a person (whatever the registry calls it), for `household.head.*`."""
    if not isinstance(doc, dict):
        return None
    view = dict(doc)
    members = [m for m in doc.get("members") or [] if isinstance(m, dict)]
    head = doc.get("head")
    if not isinstance(head, dict):
        head_id = head if isinstance(head, str) else doc.get("head_personal_id") or doc.get("head_id")
        head = next((m for m in members if m.get("personal_id") == head_id), None)
        head = head or next((m for m in members if m.get("relationship") == "chu_ho"), None)
    view["head"] = head
    return view


# --- provide once: pre-fill ---------------------------------------------------------------------------------------


def _procedure_code(version: Any) -> str:
    procedure = getattr(version, "procedure", None)
    return str(getattr(procedure, "code", "") or "")


def prefill_with_status(user: Any, version: Any, *, dossier_ref: str | None = None) -> tuple[dict[str, dict], bool]:
    """(pre-fill as in prefill_for, whether the registry answered). Nothing to fill is not an outage."""
    fields = registry_fields(getattr(version, "form_schema", None) or {})
    if not fields or not getattr(user, "personal_id", None) or not registry.configured():
        return {}, True
    code = _procedure_code(version)
    records = _Records(
        user,
        dossier_ref=dossier_ref or registry.pending_ref(code),
        purpose=f"Điền sẵn tờ khai thủ tục {code} theo đề nghị của công dân",
    )
    out: dict[str, dict] = {}
    try:
        for name, spec in fields.items():
            value = records.value(spec["path"])
            if value is None or value == "":
                continue
            if isinstance(value, (dict, list)):
                continue
            out[name] = {"value": value, "source": spec["path"], "editable": spec["editable"]}
    except registry.RegistryUnavailable:
        return {}, False
    return out, True


def prefill_for(user: Any, version: Any, *, dossier_ref: str | None = None) -> dict[str, dict]:
    """{field: {"value", "source", "editable"}} from the population registry for a logged-in citizen.

    Empty when the registry is not configured, unreachable, or the schema asks for nothing: the citizen then
    types the form as before.
    """
    return prefill_with_status(user, version, dossier_ref=dossier_ref)[0]


def prefill_for_session(session: SessionBase, user: Any, version: Any) -> tuple[dict[str, dict], bool]:
    """prefill_with_status, kept in the session a few minutes: one registry look-up per form, not per page view."""
    key = f"{PREFILL_SESSION_PREFIX}{getattr(version, 'pk', '')}"
    cached = session.get(key)
    if (
        isinstance(cached, dict)
        and cached.get("user") == getattr(user, "pk", None)
        and time.time() - float(cached.get("at", 0)) < PREFILL_TTL_SECONDS
    ):
        return cached.get("fields") or {}, True
    fields, available = prefill_with_status(user, version)
    if available and fields:
        session[key] = {"user": getattr(user, "pk", None), "at": time.time(), "fields": fields}
    return fields, available


def data_sources(prefill: dict[str, dict], data: dict) -> dict[str, dict]:
    """Where each pre-filled answer came from, for the dossier's `data_sources`: the registry (with the path),
    or the citizen when they changed an editable pre-filled value."""
    out: dict[str, dict] = {}
    for name, spec in prefill.items():
        submitted = _get_path(data, name)
        if submitted is None:
            continue
        same = _same(submitted, spec["value"], exact=True)
        out[name] = {"source": SOURCE_REGISTRY if same else SOURCE_CITIZEN, "registry_path": spec["source"]}
    return out


# --- checking the applicant -------------------------------------------------------------------------------------


def _get_path(data: Any, name: str) -> Any:
    node = data
    for part in name.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _normal(value: Any) -> str:
    text = unicodedata.normalize("NFC", str(value if value is not None else ""))
    return " ".join(text.split()).casefold()


def _same(stated: Any, known: Any, *, exact: bool = False) -> bool:
    if isinstance(known, int) and not isinstance(known, bool):
        try:
            return int(stated) == known
        except (TypeError, ValueError):
            return False
    if isinstance(stated, date):
        stated = stated.isoformat()
    if exact:
        return str(stated) == str(known)
    return _normal(stated) == _normal(known)


def _field_title(schema: dict, name: str) -> str:
    node: Any = schema
    for part in name.split("."):
        node = (node.get("properties") or {}).get(part, {}) if isinstance(node, dict) else {}
    return str(node.get("title") or name) if isinstance(node, dict) else name


def _schema_of(procedure_code: str) -> dict:
    from motcua.catalog.models import ProcedureVersion

    version = (
        ProcedureVersion.objects.filter(procedure__code=procedure_code, is_current=True).only("form_schema").first()
    )
    return (version.form_schema or {}) if version else {}


def verify_applicant(
    user: Any, *, data: dict, procedure_code: str, dossier_ref: str, schema: dict | None = None
) -> str:
    """Check the applicant's stated identity against the population registry before a dossier is received.

    The stated identity is every read-only field annotated `person.full_name|personal_id|birth_date|gender`
    (and, for a citizen, their account's personal ID number). Returns "verified", or "to_verify" when the
    registry cannot answer (not configured, down, slow, unsigned) so the desk checks by hand. Raises
    ValidationFailed (422), naming the fields, when the registry contradicts what is stated.
    """
    if schema is None:
        schema = _schema_of(procedure_code)
    fields = registry_fields(schema)
    stated: dict[str, tuple[str, Any]] = {}  # attribute -> (field name, stated value)
    for name, spec in fields.items():
        root, rest = _split_root(spec["path"])
        if root == "person" and rest in IDENTITY_ATTRS and not spec["editable"]:
            value = _get_path(data or {}, name)
            if value not in (None, ""):
                stated.setdefault(rest, (name, value))
    account_pid = getattr(user, "personal_id", None) or ""
    errors: list[dict] = []
    if account_pid and "personal_id" in stated and str(stated["personal_id"][1]) != account_pid:
        name = stated["personal_id"][0]
        errors.append(
            {
                "field": name,
                "title": _field_title(schema, name),
                "message": "Không phải số định danh cá nhân của tài khoản đang nộp hồ sơ.",
            }
        )
    pid = account_pid or (str(stated["personal_id"][1]) if "personal_id" in stated else "")
    if not pid or not registry.configured():
        if errors:
            raise _mismatch(errors)
        return "to_verify"
    try:
        record = registry.person(
            pid,
            dossier_ref=dossier_ref,
            purpose=f"Xác thực thông tin người nộp hồ sơ thủ tục {procedure_code}",
            actor=user,
        )
    except registry.RegistryUnavailable:
        if errors:
            raise _mismatch(errors) from None
        return "to_verify"
    if record is None:
        field = stated.get("personal_id", ("nguoi_nop.so_dinh_danh", pid))[0]
        raise ValidationFailed(
            "Số định danh cá nhân của người nộp không có trong Cơ sở dữ liệu quốc gia về dân cư.",
            errors=[{"field": field, "message": "Không có trong CSDL quốc gia về dân cư."}],
        )
    if record.get("deceased"):
        raise ValidationFailed(
            "Theo Cơ sở dữ liệu quốc gia về dân cư, người có số định danh này đã mất: không thể là người nộp hồ sơ."
        )
    for attr, (name, value) in stated.items():
        if attr == "personal_id":
            continue
        if not _same(value, record.get(attr)):
            errors.append(
                {
                    "field": name,
                    "title": _field_title(schema, name),
                    "message": "Không khớp với Cơ sở dữ liệu quốc gia về dân cư.",
                }
            )
    if errors:
        raise _mismatch(errors)
    return "verified"


def _mismatch(errors: list[dict]) -> ValidationFailed:
    titles = ", ".join(e.get("title") or e["field"] for e in errors)
    return ValidationFailed(
        f"Thông tin người nộp hồ sơ không khớp với Cơ sở dữ liệu quốc gia về dân cư: {titles}. Vui lòng kiểm tra lại.",
        errors=errors,
    )
