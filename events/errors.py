"""What the events app refuses, with messages meant for the person who asked."""


class EventsError(Exception):
    """Base of the events app's refusals."""


class UnsafeURL(EventsError):
    """A webhook URL that hedge will not call: not https (unless allowed), or resolving to a non-public address."""


class UnsafeAddress(UnsafeURL):
    """The connection reached an address that is not public (DNS changed since the URL was saved)."""
