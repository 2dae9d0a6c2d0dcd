"""Shared scenarios of the events tests: a real HTTP receiver on 127.0.0.1, and a clock tests move by hand."""

from __future__ import annotations

import datetime
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from events.models import Event
from tests.factories import WebhookEndpointFactory

# No test waits longer than this for something to happen.
BOUND = 30


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server: records every request, answers the queued status codes in order (then `default`).

    `hold()` makes the next requests wait, unanswered, until `release()` (or BOUND seconds):
    `arrived` is set when one is waiting, so a test acts while a delivery is in flight.
    """

    url: str = ""
    received: list[Received] = field(default_factory=list)
    answers: deque = field(default_factory=deque)
    default: int = 200
    answer_body: bytes = b"ok"
    holding: bool = False
    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: dict = field(default_factory=dict)
    overlaps: list = field(default_factory=list)
    # Requests whose webhook-id was already in flight (two workers sending one delivery at once).
    duplicates: list = field(default_factory=list)
    # The first requests wait here for each other (two workers in flight at once), then pass.
    rendezvous: threading.Barrier | None = None

    def answer(self, *codes: int) -> None:
        self.answers.extend(codes)

    def hold(self) -> None:
        self.holding, self.arrived, self.released = True, threading.Event(), threading.Event()

    def release(self) -> None:
        self.holding = False
        self.released.set()

    def bodies(self) -> list[dict]:
        return [r.json for r in self.received]


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            message_id = self.headers.get("webhook-id")
            with receiver.lock:
                receiver.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                if message_id in receiver.in_flight:
                    receiver.duplicates.append(message_id)
                receiver.in_flight[message_id] = receiver.in_flight.get(message_id, 0) + 1
                if len(receiver.in_flight) > 1:
                    receiver.overlaps.append(sorted(receiver.in_flight))
                code = receiver.answers.popleft() if receiver.answers else receiver.default
                holding = receiver.holding
                meet = receiver.rendezvous
                if meet is not None and len(receiver.received) > meet.parties:
                    meet = None
            if meet is not None:
                meet.wait()
            if holding:
                receiver.arrived.set()
                receiver.released.wait(BOUND)
            with receiver.lock:
                receiver.in_flight[message_id] -= 1
                if not receiver.in_flight[message_id]:
                    del receiver.in_flight[message_id]
            try:
                self.send_response(code)
                self.send_header("Content-Length", str(len(receiver.answer_body)))
                self.end_headers()
                self.wfile.write(receiver.answer_body)
            except OSError:
                pass  # the worker was killed while we held its request

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def receiver():
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_port}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    receiver.release()
    server.shutdown()
    server.server_close()


@pytest.fixture
def endpoint(db, receiver):
    return WebhookEndpointFactory(url=receiver.url)


class Clock:
    """The worker's `now`: starts at the real time, moves only when a test moves it."""

    def __init__(self):
        self.now = timezone.now()

    def __call__(self) -> datetime.datetime:
        return self.now

    def advance_to(self, moment: datetime.datetime) -> None:
        self.now = max(self.now, moment)


@pytest.fixture
def clock():
    return Clock()


def verified(received: Received, secret: str) -> dict:
    """The body, as a Standard Webhooks receiver verifies it now (raises WebhookVerificationError otherwise)."""
    return Webhook(secret).verify(received.body, received.headers)


def signed_by(received: Received, secret: str) -> bool:
    """Whether one of the request's signatures is `secret`'s, whatever its timestamp (for moved clocks)."""
    moment = datetime.datetime.fromtimestamp(int(received.headers["webhook-timestamp"]), tz=datetime.UTC)
    expected = Webhook(secret).sign(received.headers["webhook-id"], moment, received.body)
    return expected in received.headers["webhook-signature"].split(" ")


def events_of(event_type: str) -> list[dict]:
    """The envelopes of the recorded events of one type, oldest first."""
    bodies = Event.objects.filter(type=event_type).order_by("id").values_list("body", flat=True)
    return [json.loads(body) for body in bodies]
