"""Population registry simulator (national population database): signed person and household look-ups.

Every look-up must say which dossier it serves and why (the law allows agencies to read a citizen's data only
for a procedure), and every lookup is logged. Answers are signed so the platform can keep them as evidence:
the body is plain JSON and the header X-Registry-Signature holds a compact JWS (ES256, RFC 7515 Appendix F
detached payload) over the exact body bytes. An outage hook lets the platform's tests see the registry fail.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from joserfc import jws
from joserfc.jwk import ECKey

from motcua.core.identifiers import validate_personal_id
from simulators import population as pop_mod
from simulators._http import BaseHandler, SimulatorServer, serve, serve_until_interrupted

SIGNATURE_HEADER = "X-Registry-Signature"
SIGNATURE_ALG = "ES256"
_PATH = re.compile(r"^/v1/(persons|households)/([^/]+)$")


@dataclass
class RegistryState:
    population: pop_mod.Population
    key: ECKey = field(default_factory=lambda: ECKey.generate_key("P-256", auto_kid=True))
    down: bool = False
    delay: float = 0.0
    lookups: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def jwks(self) -> dict:
        return {"keys": [dict(self.key.as_dict(private=False, use="sig", alg=SIGNATURE_ALG))]}

    def sign(self, body: bytes) -> str:
        """Compact JWS with a detached payload: `header..signature`, verified against the body bytes."""
        full = jws.serialize_compact({"alg": SIGNATURE_ALG, "kid": self.key.kid}, body, self.key, [SIGNATURE_ALG])
        return jws.detach_content(full)


def _ref(population: pop_mod.Population, pid: str | None) -> dict | None:
    if not pid:
        return None
    p = population.by_id(pid)
    return {"personal_id": pid, "full_name": p.full_name if p else None}


def person_document(population: pop_mod.Population, p: pop_mod.Person) -> dict:
    household = population.household(p.household_id)
    return {
        "personal_id": p.personal_id,
        "full_name": p.full_name,
        "birth_date": p.birth_date.isoformat(),
        "gender": p.gender,
        "ethnicity": p.ethnicity,
        "nationality": p.nationality,
        "permanent_residence": household.permanent_residence.as_dict() if household else None,
        "temporary_residence": p.temporary_residence.as_dict() if p.temporary_residence else None,
        "father": _ref(population, p.father_id),
        "mother": _ref(population, p.mother_id),
        "spouse": _ref(population, p.spouse_id),
        "household_id": p.household_id,
        "relationship_to_head": p.relationship,
        "deceased": p.deceased,
        "date_of_death": p.date_of_death.isoformat() if p.date_of_death else None,
    }


def household_document(population: pop_mod.Population, h: pop_mod.Household) -> dict:
    return {
        "household_id": h.household_id,
        "head": _ref(population, h.head_id),
        "permanent_residence": h.permanent_residence.as_dict(),
        "members": [
            {
                "personal_id": m.personal_id,
                "full_name": m.full_name,
                "birth_date": m.birth_date.isoformat(),
                "gender": m.gender,
                "relationship": m.relationship,
                "deceased": m.deceased,
                "date_of_death": m.date_of_death.isoformat() if m.date_of_death else None,
            }
            for m in population.members(h)
        ],
    }


class RegistryHandler(BaseHandler):
    server: SimulatorServer

    @property
    def state(self) -> RegistryState:
        return self.server.state

    def handle_request(self, method: str, path: str) -> None:
        match = _PATH.match(path)
        if match and method == "GET":
            self.lookup(match.group(1), match.group(2))
        elif (method, path) == ("GET", "/jwks"):
            self.send_json(self.state.jwks(), headers={"Cache-Control": "public, max-age=300"})
        elif path == "/__admin/outage" and method in ("GET", "POST"):
            self.admin_outage()
        elif path == "/__admin/lookups" and method in ("GET", "DELETE"):
            self.admin_lookups()
        elif (method, path) == ("GET", "/healthz"):
            self.send_json({"status": "ok"})
        else:
            self.problem(404, "khong_co_dia_chi", "Không có địa chỉ này", f"{method} {path} không thuộc API.")

    def problem(self, status: int, code: str, title: str, detail: str, headers: dict | None = None) -> None:
        body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "code": code}
        if hasattr(self, "url_path"):
            body["instance"] = self.url_path
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send(status, raw, "application/problem+json; charset=utf-8", headers)

    def lookup(self, kind: str, pid: str) -> None:
        st = self.state
        dossier = self.query.get("dossier", "").strip()
        purpose = self.query.get("purpose", "").strip()
        entry = {
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "endpoint": kind,
            "personal_id": pid,
            "dossier": dossier,
            "purpose": purpose,
            "status": 0,
        }
        with st.lock:
            st.lookups.append(entry)
        self._pending_entry = entry
        try:
            self._lookup(kind, pid, dossier, purpose)
        finally:
            self._pending_entry = None

    def send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        """Record a look-up's status BEFORE its answer leaves: a client reading the log right after the answer
        must find it (the log is read by tests the moment a response arrives)."""
        entry = getattr(self, "_pending_entry", None)
        if entry is not None:
            entry["status"] = status
        super().send(status, body, content_type, headers)

    def _lookup(self, kind: str, pid: str, dossier: str, purpose: str) -> int:
        st = self.state
        if st.delay:
            time.sleep(st.delay)
        if st.down:
            detail = "Cơ sở dữ liệu quốc gia về dân cư đang tạm ngừng phục vụ; hãy thử lại sau."
            self.problem(503, "ngung_dich_vu", "Hệ thống tạm ngừng", detail, {"Retry-After": "30"})
            return 503
        if not dossier or not purpose:
            missing = " và ".join(
                n for n, v in (("mã hồ sơ (dossier)", dossier), ("mục đích (purpose)", purpose)) if not v
            )
            self.problem(400, "thieu_tham_so", "Thiếu tham số bắt buộc", f"Mỗi lần tra cứu phải nêu {missing}.")
            return 400
        try:
            validate_personal_id(pid)
        except ValueError as e:
            self.problem(400, "sai_dinh_dang", "Số định danh cá nhân không hợp lệ", str(e))
            return 400
        person = st.population.by_id(pid)
        if person is None:
            self.problem(
                404, "khong_tim_thay", "Không tìm thấy công dân", f"Không có công dân mang số định danh {pid}."
            )
            return 404
        if kind == "persons":
            data = person_document(st.population, person)
        else:
            household = st.population.household(person.household_id)
            assert household is not None
            data = household_document(st.population, household)
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self.send(
            200, body, "application/json; charset=utf-8", {SIGNATURE_HEADER: st.sign(body), "Cache-Control": "no-store"}
        )
        return 200

    def admin_outage(self) -> None:
        st = self.state
        if self.command == "POST":
            try:
                data = self.json_body()
                down = data.get("down")
                delay = data.get("delay")
                if down is not None and not isinstance(down, bool):
                    raise ValueError
                if delay is not None and (isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0):
                    raise ValueError
            except (ValueError, AttributeError):
                self.problem(
                    400, "sai_tham_so", "Tham số không hợp lệ", 'Dạng đúng: {"down": true|false, "delay": giây}.'
                )
                return
            with st.lock:
                if down is not None:
                    st.down = down
                    if not down and delay is None:  # {"down": false} restores normal service entirely
                        st.delay = 0.0
                if delay is not None:
                    st.delay = float(delay)
        self.send_json({"down": st.down, "delay": st.delay})

    def admin_lookups(self) -> None:
        st = self.state
        with st.lock:
            if self.command == "DELETE":
                st.lookups.clear()
            lookups = list(st.lookups)
        self.send_json({"lookups": lookups})


def start_registry_server(
    port: int = 0,
    population: pop_mod.Population | str | None = None,
    n: int = 2_000,
    seed: int = 22,
    *,
    host: str = "127.0.0.1",
) -> tuple[SimulatorServer, threading.Thread, str]:
    """Start the registry on a free port (port=0) and return (server, thread, base URL); stop with server.stop()."""
    if not isinstance(population, pop_mod.Population):
        population = pop_mod.load(population, n=n, seed=seed)
    server = serve(RegistryHandler, RegistryState(population), host, port)
    assert server.thread is not None
    return server, server.thread, server.base_url


def stop(server: SimulatorServer) -> None:
    server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Cơ sở dữ liệu quốc gia về dân cư (mô phỏng).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9102)
    parser.add_argument("--population", help="tệp JSONL(.gz) do simulators.population sinh ra")
    parser.add_argument("--n", type=int, default=100_000, help="số nhân khẩu sinh ra khi không có --population")
    parser.add_argument("--seed", type=int, default=22)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    server, thread, base_url = start_registry_server(args.port, args.population, args.n, args.seed, host=args.host)
    print(
        f"CSDL dân cư (mô phỏng) tại {base_url} — {len(server.state.population):,} nhân khẩu, "
        f"sẵn sàng sau {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return serve_until_interrupted(server, thread)
