"""Real receivers on 127.0.0.1 for alert tests: an SMTP server (aiosmtpd), a
webhook endpoint (apprise's json://), and Slack's webhook host itself.

Slack: apprise's Slack plugin always posts to https://hooks.slack.com/services/…
(the host is not configurable). We leave the plugin alone and do what a
corporate network does: route HTTPS through a proxy. `FakeSlack` is an HTTP
CONNECT proxy on 127.0.0.1 that accepts tunnels to hooks.slack.com:443 only,
terminates TLS with a throw-away certificate for hooks.slack.com, and answers
like Slack ("ok"). Tests point requests at it with HTTPS_PROXY and trust the
certificate with REQUESTS_CA_BUNDLE, so certificate checking stays on and the
payload we inspect is exactly what apprise would send to Slack.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import json
import shutil
import socket
import socketserver
import ssl
import subprocess
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

SLACK_HOST = "hooks.slack.com"
SLACK_URL = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7"
SLACK_TOKEN_PATH = "/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- a webhook endpoint ---------------------------------------------------------------------


class WebhookSink:
    """Records JSON POSTs. `status` is what it answers; `hold` (an Event, unset)
    keeps requests waiting until set; `received` is set on each request."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []
        self.paths: list[str] = []  # of accepted payloads, in order
        self.headers: list[dict[str, str]] = []  # of accepted payloads, in order
        self.attempts = 0
        self.status = 200
        self.hold = threading.Event()
        self.hold.set()
        self.received = threading.Event()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                sink.attempts += 1
                sink.received.set()
                sink.hold.wait(30)
                status = sink.status
                if status == 200:
                    sink.payloads.append(json.loads(body))
                    sink.paths.append(self.path)
                    sink.headers.append(dict(self.headers.items()))
                answer = b"ok" if status == 200 else b"down"
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str = "/alerts") -> str:
        return f"json://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()


# --- Slack, through a proxy ------------------------------------------------------------------


def make_certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "slack.pem", directory / "slack.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", str(key),
         "-out", str(cert), "-subj", f"/CN={SLACK_HOST}", "-addext", f"subjectAltName=DNS:{SLACK_HOST}"],
        check=True, capture_output=True,
    )
    return cert, key


@dataclasses.dataclass
class SlackPost:
    path: str
    headers: dict[str, str]
    payload: dict[str, Any]


class FakeSlack:
    def __init__(self, cert: Path, key: Path) -> None:
        self.cert = cert
        self.posts: list[SlackPost] = []
        self.refused: list[str] = []
        self.status = 200
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        fake = self

        class Tunnel(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                request = self.rfile.readline().decode("latin-1").split()
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                if len(request) < 2 or request[0] != "CONNECT" or request[1] != f"{SLACK_HOST}:443":
                    fake.refused.append(" ".join(request))
                    self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                    return
                self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self.wfile.flush()
                with context.wrap_socket(self.connection, server_side=True) as tls:
                    fake._serve(tls)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Tunnel)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _serve(self, tls: ssl.SSLSocket) -> None:
        stream = tls.makefile("rb")
        line = stream.readline().decode("latin-1").split()
        headers: dict[str, str] = {}
        while (raw := stream.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = raw.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = stream.read(int(headers.get("content-length", "0")))
        if self.status == 200:
            self.posts.append(SlackPost(line[1], headers, json.loads(body)))
        answer = b"ok" if self.status == 200 else b"invalid_token"
        tls.sendall(b"HTTP/1.1 %d X\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                    % (self.status, len(answer), answer))

    @property
    def proxy(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def environment(self) -> dict[str, str]:
        """What a process needs to reach this Slack: the proxy, and trust in its certificate."""
        return {"HTTPS_PROXY": self.proxy, "https_proxy": self.proxy, "REQUESTS_CA_BUNDLE": str(self.cert),
                "NO_PROXY": "", "no_proxy": ""}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- SMTP ------------------------------------------------------------------------------------


@dataclasses.dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    def part(self, subtype: str) -> str:
        for part in self.message.walk():
            if part.get_content_type() == f"text/{subtype}":
                return str(part.get_content())
        raise AssertionError(f"no text/{subtype} part in {self.message.get_content_type()}")


class SmtpSink:
    """aiosmtpd on 127.0.0.1, plain SMTP with AUTH (no TLS: loopback only)."""

    def __init__(self, user: str = "alerts", password: str = "smtp-Secret-4711") -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.user, self.password = user, password
        self.mails: list[Mail] = []
        self.logins: list[str] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                message = email.message_from_bytes(envelope.original_content or envelope.content,
                                                   policy=email.policy.default)
                assert isinstance(message, EmailMessage)
                sink.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message))
                return "250 Message accepted for delivery"

        def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            ok = isinstance(data, LoginPassword) and data.login.decode() == user and data.password.decode() == password
            if ok:
                sink.logins.append(user)
            return AuthResult(success=ok)

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port,
                                     authenticator=authenticator, auth_require_tls=False)
        self.controller.start()

    def url(self, to: str = "oncall@example.com,lead@example.com") -> str:
        return (f"mailto://{self.user}:{self.password}@127.0.0.1:{self.port}"
                f"?mode=insecure&from=watcher@example.com&to={to}")

    def close(self) -> None:
        self.controller.stop()


# --- fixtures (import them into a test module to use them) --------------------------------


@pytest.fixture
def sink() -> Iterator[WebhookSink]:
    server = WebhookSink()
    yield server
    server.close()


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    server = SmtpSink()
    yield server
    server.close()


@pytest.fixture(scope="session")
def slack_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make hooks.slack.com's test certificate")
    return make_certificate(tmp_path_factory.mktemp("slack"))


@pytest.fixture
def slack(slack_certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    """Slack's webhook host, reachable by this process (and by subprocesses given
    `slack.environment()`)."""
    server = FakeSlack(*slack_certificate)
    for name, value in server.environment().items():
        monkeypatch.setenv(name, value)
    yield server
    server.close()
