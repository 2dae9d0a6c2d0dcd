"""The events app in the admin: webhook endpoints (audited), deliveries (Send again) and the events, read-only."""

from . import deliveries, endpoints, events  # noqa: F401 - registers the model admins
