"""Errors of the leagues app."""


class LeagueError(Exception):
    """Base of the leagues' errors."""


class UnknownLeague(LeagueError, LookupError):
    """No active league has this key (HTTP 404)."""


class NotInLeague(LeagueError, LookupError):
    """The cluster has no place in the league's current period (HTTP 404)."""
