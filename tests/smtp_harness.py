"""A real SMTP server on loopback for the mail tests: aiosmtpd, capturing what it accepts.

It counts messages per recipient, can answer chosen commands with 4xx or 5xx replies, block
on the N-th message until the test releases it (for the crash test), offer STARTTLS or speak
implicit TLS with a certificate made by `openssl` at test time, and require AUTH."""
import asyncio
import collections
import email
import email.policy
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, SMTP


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_certificate(folder: str) -> tuple[str, str]:
    """A self-signed certificate for localhost and 127.0.0.1 (it is its own CA)."""
    cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-addext", "basicConstraints=critical,CA:TRUE"],
                   check=True, capture_output=True)
    return cert, key


class Capture:
    """The aiosmtpd handler: keeps every accepted message and answers as configured."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []                      # (mail_from, rcpt, bytes)
        self.per_recipient = collections.Counter()
        self.rcpt_replies = {}                  # address -> reply, e.g. "550 5.1.1 no such user"
        self.temporary_rcpt = collections.deque()   # replies for the next RCPTs, e.g. "421 ..." or "451 ..."
        self.temporary_data = collections.deque()   # replies for the next messages' data
        self.block_at = None                    # block the N-th message (1-based) and every later one
        self.data_seen = 0
        self.blocked = threading.Event()        # set when the N-th message arrived
        self.release = threading.Event()
        self.auth_attempts = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            if self.temporary_rcpt:
                return self.temporary_rcpt.popleft()
            reply = self.rcpt_replies.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.data_seen += 1
            block = self.block_at is not None and self.data_seen >= self.block_at
            temporary = self.temporary_data.popleft() if self.temporary_data else None
        if block:
            self.blocked.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
            return "451 4.3.0 the test is over for this process"
        if temporary:
            return temporary
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.messages.append((envelope.mail_from, rcpt.lower(), envelope.original_content or envelope.content))
                self.per_recipient[rcpt.lower()] += 1
        return "250 2.0.0 accepted"

    def to(self, address):
        """The parsed messages received for `address`, oldest first."""
        with self.lock:
            raw = [data for _, rcpt, data in self.messages if rcpt == address.lower()]
        return [email.message_from_bytes(data, policy=email.policy.default) for data in raw]

    def count(self):
        with self.lock:
            return len(self.messages)


class SMTPServer:
    """Starts aiosmtpd on a free loopback port; `mode` is plain, starttls or tls (implicit)."""

    def __init__(self, mode="plain", auth=None):
        self.handler = Capture()
        self.port = free_port()
        self.mode = mode
        self.folder = tempfile.mkdtemp(prefix="smtp-harness-")
        self.cert = self.key = None
        kwargs = {}
        if mode in ("starttls", "tls"):
            self.cert, self.key = make_certificate(self.folder)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.cert, self.key)
            if mode == "starttls":
                kwargs.update(tls_context=context, require_starttls=True)
            else:
                kwargs.update(ssl_context=context)
        if auth:
            login, password = auth

            def authenticator(server, session, envelope, mechanism, auth_data):
                ok = auth_data.login == login.encode() and auth_data.password == password.encode()
                self.handler.auth_attempts.append((mechanism, ok))
                return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd sends the 535

            kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=mode == "starttls")  # implicit TLS is not seen by aiosmtpd as TLS
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, server_hostname="localhost",
                                     ready_timeout=10, **kwargs)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.handler.release.set()
        self.controller.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, user=None, password=None, query=""):
        scheme = "smtps" if self.mode == "tls" else "smtp"
        credentials = f"{user}:{password}@" if user else ""
        return f"{scheme}://{credentials}127.0.0.1:{self.port}{query}"
