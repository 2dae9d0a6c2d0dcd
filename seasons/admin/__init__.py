"""The season's admin, one module per model family: seasons (weights, progress, history) and the pass (levels,
rewards, premium grants, claims)."""

from . import rewards, seasons  # noqa: F401 - each registers its admins
