"""The leaderboards' admin, one module per model family: definitions, runs (and their entries), exclusions."""

from . import definitions, exclusions, runs  # noqa: F401 - each registers its admins
