"""A counting SMTP server for bench/digest.sh: aiosmtpd on loopback that accepts every
message and keeps only counts (so memory stays flat at 10,000 messages)."""
import sys
import threading
import time

from aiosmtpd.controller import Controller


class Count:
    def __init__(self):
        self.messages = 0
        self.bytes = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages += len(envelope.rcpt_tos)
            self.bytes += len(envelope.original_content or b"")
        return "250 2.0.0 accepted"


if __name__ == "__main__":
    handler = Count()
    controller = Controller(handler, hostname="127.0.0.1", port=int(sys.argv[1]), ready_timeout=10)
    controller.start()
    print("ready", flush=True)
    try:
        sys.stdin.read()  # until the script closes our standard input
    finally:
        controller.stop()
        print(f"received {handler.messages} messages, {handler.bytes} bytes", flush=True)
