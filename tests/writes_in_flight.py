"""A progress write in flight, held open in another thread (its own database connection) while a test acts.

No sleeps stand in for ordering: the writer stops at a known point and goes on when the test says.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection

# How long a test lets a blocked step wait to show it is blocked (an upper bound, never an ordering).
BLOCKED_FOR = 1.0
# How long anything the test started may take to finish.
FINISH_WITHIN = 30.0


class InThread:
    """`call()` run in a thread with its own connection: its result or error, and whether it finished."""

    def __init__(self, call: Callable[[], object]):
        self.result = self.error = None
        self.finished = threading.Event()

        def run():
            try:
                self.result = call()
            except Exception as exc:  # noqa: BLE001 - the test reads it
                self.error = exc
            finally:
                self.finished.set()
                connection.close()

        self.thread = threading.Thread(target=run)
        self.thread.start()

    def join(self):
        self.thread.join(FINISH_WITHIN)
        assert self.finished.is_set(), "the thread did not finish"
        if self.error is not None:
            raise self.error
        return self.result


class Pause:
    """A point where a writer stops: `reached` once it got there, it goes on after `release()`."""

    def __init__(self):
        self.reached = threading.Event()
        self._go = threading.Event()

    def __call__(self, *args, **kwargs) -> None:
        self.reached.set()
        assert self._go.wait(FINISH_WITHIN), "the test never released the writer"

    def wait_reached(self) -> None:
        assert self.reached.wait(FINISH_WITHIN), "the writer never reached its pause"

    def release(self) -> None:
        self._go.set()
