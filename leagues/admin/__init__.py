"""The leagues' admin (one module: leagues, periods, members, moves)."""

from . import leagues  # noqa: F401 - registers the admins
