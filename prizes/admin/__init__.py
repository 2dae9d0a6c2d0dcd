"""The prizes' admin: the prize table on the definition's page (definitions), awards and their totals (awards)."""

from . import awards, definitions  # noqa: F401 - each registers its admins
