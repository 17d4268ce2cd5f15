"""The fault runs' SMTP server: ``python -m bench.faultsink PORT LOG [--delay S]
[--greylist-every N]``. Writes one line per accepted message (Message-ID, recipient)
to LOG, so that duplicates and losses can be counted after a worker was killed.

``--greylist-every N``: every Nth address (by the number in ``…NNNN@``) is refused
with 451 at its first RCPT, as a greylisting server does, and accepted afterwards.
"""

import argparse
import asyncio
import re
import signal
import threading

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, log: str, delay: float, greylist_every: int) -> None:
        self.log = open(log, "a", buffering=1)  # open for the sink's life
        self.delay = delay
        self.greylist_every = greylist_every
        self.seen: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        number = re.search(r"(\d+)@", address)
        if self.greylist_every and number and int(number.group(1)) % self.greylist_every == 0:
            if address not in self.seen:
                self.seen.add(address)
                return "451 4.7.1 Greylisted, please try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        if self.delay:
            await asyncio.sleep(self.delay)
        content = envelope.content.decode(errors="replace")
        found = re.search(r"^Message-ID: (.+)$", content, re.MULTILINE | re.IGNORECASE)
        message_id = found.group(1).strip() if found else "-"
        for recipient in envelope.rcpt_tos:
            self.log.write(f"{message_id} {recipient}\n")
        return "250 Message accepted"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("log")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--greylist-every", type=int, default=0)
    args = parser.parse_args()
    handler = Handler(args.log, args.delay, args.greylist_every)
    controller = Controller(handler, hostname="127.0.0.1", port=args.port)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
