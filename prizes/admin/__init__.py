"""The prizes' admin: the prize table on the definition's page (definitions), a league tier's on the tier's page
(leagues), awards and their totals (awards)."""

from . import awards, definitions, leagues  # noqa: F401 - each registers its admins
