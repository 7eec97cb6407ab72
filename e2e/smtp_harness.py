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


def bound_socket() -> socket.socket:
    """A listening socket on a loopback port the kernel picked: bound once, then handed over
    (no window in which another process could take the port)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    return sock


class BoundController(Controller):
    """aiosmtpd's controller, serving on a socket bound beforehand instead of binding a port itself."""

    def __init__(self, handler, sock, **kwargs):
        super().__init__(handler, hostname="127.0.0.1", port=sock.getsockname()[1], **kwargs)
        self._sock = sock

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self._sock, ssl=self.ssl_context)


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
        self.tls_used = []                      # per accepted message: whether its session was under TLS

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
            self.tls_used.append(session.ssl is not None)
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

    def __init__(self, mode="plain", auth=None, require_starttls=True, auth_require_tls=None):
        self.handler = Capture()
        self.sock = bound_socket()
        self.port = self.sock.getsockname()[1]
        self.mode = mode
        self.folder = tempfile.mkdtemp(prefix="smtp-harness-")
        self.cert = self.key = None
        kwargs = {}
        if mode in ("starttls", "tls"):
            self.cert, self.key = make_certificate(self.folder)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.cert, self.key)
            if mode == "starttls":
                kwargs.update(tls_context=context, require_starttls=require_starttls)
            else:
                kwargs.update(ssl_context=context)
        if auth:
            login, password = auth

            def authenticator(server, session, envelope, mechanism, auth_data):
                ok = auth_data.login == login.encode() and auth_data.password == password.encode()
                self.handler.auth_attempts.append((mechanism, ok))
                return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd sends the 535

            # Implicit TLS is not seen by aiosmtpd as TLS.
            require_tls = mode == "starttls" if auth_require_tls is None else auth_require_tls
            kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=require_tls)
        self.controller = BoundController(self.handler, self.sock, server_hostname="localhost", ready_timeout=10, **kwargs)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.handler.release.set()
        self.controller.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, user=None, password=None, query="", host="127.0.0.1"):
        scheme = "smtps" if self.mode == "tls" else "smtp"
        credentials = f"{user}:{password}@" if user else ""
        return f"{scheme}://{credentials}{host}:{self.port}{query}"


class ScriptedSMTPServer:
    """A bare SMTP server on loopback for faults aiosmtpd cannot make: its first `faulty`
    connections misbehave as `fault` says, later ones accept every message.

    - "drop-in-data": answers DATA with 354, reads part of the message, then closes the connection.
    - "421-then-close": answers MAIL FROM with 421 and closes the connection.
    Accepted messages are kept in `accepted` as (recipient, bytes)."""

    def __init__(self, fault, faulty=1):
        self.fault = fault
        self.faulty = faulty
        self.connections = 0
        self.accepted = []
        self.lock = threading.Lock()
        self.sock = bound_socket()
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() in the serving thread
        except OSError:
            pass
        self.sock.close()
        self.thread.join(timeout=10)

    def url(self, query=""):
        return f"smtp://127.0.0.1:{self.port}{query}"

    def _serve(self):
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return  # closed by __exit__
            with self.lock:
                self.connections += 1
                faulty = self.connections <= self.faulty
            threading.Thread(target=self._session, args=(connection, faulty), daemon=True).start()

    def _session(self, connection, faulty):
        with connection, connection.makefile("rb") as reader:
            def say(line):
                connection.sendall(line.encode() + b"\r\n")
            say("220 scripted ESMTP")
            recipient = None
            while True:
                line = reader.readline()
                if not line:
                    return
                verb = line.decode(errors="replace").strip().split(" ")[0].upper()
                if verb in ("EHLO", "HELO"):
                    say("250 scripted")
                elif verb == "MAIL":
                    if faulty and self.fault == "421-then-close":
                        say("421 4.3.2 service shutting down")
                        return
                    say("250 OK")
                elif verb == "RCPT":
                    recipient = line.decode().split(":", 1)[1].strip().strip("<>").lower()
                    say("250 OK")
                elif verb == "DATA":
                    say("354 go ahead")
                    if faulty and self.fault == "drop-in-data":
                        reader.read(100)  # part of the message, then the line goes dead
                        return
                    data = []
                    while (chunk := reader.readline()) not in (b".\r\n", b""):
                        data.append(chunk)
                    with self.lock:
                        self.accepted.append((recipient, b"".join(data)))
                    say("250 2.0.0 accepted")
                elif verb == "RSET" or verb == "NOOP":
                    say("250 OK")
                elif verb == "QUIT":
                    say("221 bye")
                    return
                else:
                    say("502 5.5.2 not implemented")
