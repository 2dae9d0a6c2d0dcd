"""Admin login lockout (django-axes): by username and address together, and by address alone for spraying.

Axes compares one failure count with one limit (AXES_FAILURE_LIMIT), taking the largest count over its
lockout parameters. Locking a username alone would let anyone lock `admin` out from anywhere; locking an
address alone at the same limit would make the pair pointless. So the address's count (failures across
usernames) is measured against its own, higher limit, ADMIN_LOGIN_IP_FAILURE_LIMIT, by scaling it onto
axes' one limit: floor(address failures x limit / address limit) reaches the limit exactly when the
address failures reach the address limit. The settings name the two lockout parameters in the order read
here: AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"].
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum


class LoginLockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        pair, address = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        return max(pair, address * settings.AXES_FAILURE_LIMIT // settings.HEDGE_LOGIN_IP_FAILURE_LIMIT)

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        # A successful login clears that username's failures from that address only: clearing the address's
        # would let someone spraying usernames start again by logging into an account of their own.
        pair, _ = self.filter_user_attempts(request, credentials)
        count, _ = pair.delete()
        return count
