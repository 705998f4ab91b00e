"""The little HTTP plumbing both simulators share: a threaded stdlib server that starts on a free port and stops."""

from __future__ import annotations

import json
import logging
import threading
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

log = logging.getLogger("simulators")

MAX_BODY = 1_000_000


class SimulatorServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer carrying the simulator's state, with a stop() that also joins the serving thread."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], state: Any) -> None:
        super().__init__(address, handler)
        self.state = state
        self.thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        """Stop serving, close the socket and wait for the serving thread (idempotent)."""
        if self.thread is None:
            return
        self.shutdown()
        self.server_close()
        self.thread.join(timeout=5)
        self.thread = None


def serve(
    handler: type[BaseHTTPRequestHandler],
    state: Any,
    host: str = "127.0.0.1",
    port: int = 0,
    server_class: type[SimulatorServer] = SimulatorServer,
) -> SimulatorServer:
    """Bind (port 0 = a free port chosen by the OS) and serve in a daemon thread."""
    server = server_class((host, port), handler, state)
    # a short poll interval so stop() returns at once (the default 0.5 s adds up over a test suite)
    server.thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, name=f"{handler.__name__}", daemon=True
    )
    server.thread.start()
    return server


class BaseHandler(BaseHTTPRequestHandler):
    """Request helpers; subclasses implement `handle_request(method, path)`."""

    server: SimulatorServer
    server_version = "motcua-simulator/1.0"
    protocol_version = "HTTP/1.0"

    # --- dispatch -------------------------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        self.url_path = split.path
        self.query = dict(parse_qsl(split.query, keep_blank_values=True))
        self.raw_query = split.query
        try:
            self.handle_request(method, split.path)
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception:  # a simulator must answer, never leave the client hanging
            log.exception("simulator error on %s %s", method, self.path)
            self.send_json({"error": "server_error", "error_description": "Lỗi nội bộ của hệ thống mô phỏng."}, 500)

    def handle_request(self, method: str, path: str) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet by default: the simulators run beside the platform and the tests."""
        log.debug("%s - %s", self.address_string(), format % args)

    # --- reading --------------------------------------------------------------------------------------------
    def body(self) -> bytes:
        if not hasattr(self, "_body"):
            length = int(self.headers.get("Content-Length") or 0)
            self._body = self.rfile.read(min(length, MAX_BODY)) if length > 0 else b""
        return self._body

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body().decode("utf-8", "replace"), keep_blank_values=True))

    def json_body(self) -> Any:
        raw = self.body()
        return json.loads(raw) if raw.strip() else {}

    def cookie(self, name: str) -> str | None:
        jar = SimpleCookie()
        try:
            jar.load(self.headers.get("Cookie", ""))
        except Exception:
            return None
        morsel = jar.get(name)
        return morsel.value if morsel else None

    # --- writing --------------------------------------------------------------------------------------------
    def send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self.send(status, body, "application/json; charset=utf-8", headers)

    def send_html(self, html: str, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.send(status, html.encode("utf-8"), "text/html; charset=utf-8", headers)

    def redirect(self, location: str, headers: dict[str, str] | None = None) -> None:
        self.send(HTTPStatus.FOUND, b"", "text/plain; charset=utf-8", {"Location": location, **(headers or {})})

    def not_found(self) -> None:
        self.send_json({"error": "not_found", "error_description": "Không có địa chỉ này."}, 404)


def serve_until_interrupted(server: SimulatorServer, thread: Any) -> int:
    """The CLIs' main loop: wait for Ctrl-C (or the end of `make run`), then shut down cleanly."""
    try:
        thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
