"""What a leaderboard definition ranks by: a challenge and its optional fallback (tie-breaker), or season points.

Used by the definition's validation (admin form errors) and by generation, so the two never disagree.
A season board names `SEASON_POINTS` instead of a challenge: it ranks the points of the season
whose dates are the run's period (season_progress); the README's "Season leaderboard" says how.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db.models import Q

from hedge.challenges.models import Challenge, ChallengeCategory

if TYPE_CHECKING:
    from .models import LeaderboardDef


# The (category_key, metric_source, metric_key) of a definition that ranks season points.
SEASON_POINTS = ("season", "season", "points")

# The shape of a board of season points, field by field (None: NULL), with the message for a field
# that breaks it: one definition for the model's constraint (season_points_shape) and the
# definition's validation (_check_season_points).
SEASON_POINTS_SHAPE = {
    "category_key": (SEASON_POINTS[0], f"A board of season points has the category key {SEASON_POINTS[0]!r}."),
    "metric_key": (
        SEASON_POINTS[2],
        f"A board of season points has the metric key {SEASON_POINTS[2]!r} (metric source {SEASON_POINTS[1]!r}).",
    ),
    "fallback_metric_key": (
        None,
        "A board of season points has no fallback: ties go to the cluster that reached its points first.",
    ),
    "time_window": ("SEASON", "A board of season points ranks one season: its time window is Season."),
}


def season_points_shape() -> Q:
    """The model's check: a definition of metric source "season" has the shape of SEASON_POINTS_SHAPE."""
    shape = {
        f"{name}__isnull" if value is None else name: True if value is None else value
        for name, (value, _) in SEASON_POINTS_SHAPE.items()
    }
    return ~Q(metric_source=SEASON_POINTS[1]) | Q(**shape)


def ranks_season_points(definition: LeaderboardDef) -> bool:
    """Whether the definition ranks season points (metric source "season") rather than a challenge."""
    return definition.metric_source == SEASON_POINTS[1]


@dataclass(frozen=True)
class ResolvedChallenges:
    # Both None on a board of season points.
    challenge: Challenge | None
    fallback: Challenge | None

    @property
    def season_points(self) -> bool:
        return self.challenge is None


def _codes(challenges) -> str:
    return ", ".join(sorted(c.code for c in challenges))


def _resolve_one(category_key: str, metric_source: str, metric_key: str, *, field: str, what: str) -> Challenge:
    """The one active challenge with this (category, source, key), or a ValidationError on `field` saying why not.

    Deactivated challenges (removed from the catalogue) are not ranked: their values no longer change.
    """
    matches = list(
        Challenge.objects.filter(
            category__key=category_key, metric_source=metric_source, metric_key=metric_key
        ).order_by("code")
    )
    active = [c for c in matches if c.is_active]
    if len(active) == 1:
        return active[0]
    described = f"category {category_key!r}, metric source {metric_source!r}, metric key {metric_key!r}"
    if len(active) > 1:
        message = f"The {what} resolves to several challenges ({_codes(active)}) in {described}; it must be one."
    elif matches:
        message = f"The {what} resolves only to the inactive challenge(s) {_codes(matches)} ({described})."
    elif not ChallengeCategory.objects.filter(key=category_key).exists():
        field = "category_key"
        message = f"There is no challenge category {category_key!r}."
    else:
        in_category = Challenge.objects.filter(category__key=category_key, is_active=True)
        same_source = [c for c in in_category if c.metric_source == metric_source]
        if not same_source:
            sources = sorted({c.metric_source for c in in_category})
            field = "metric_source" if what == "metric" else field
            message = (
                f"No challenge in category {category_key!r} has metric source {metric_source!r}"
                f" (sources there: {', '.join(sources) or 'none'})."
            )
        else:
            keys = sorted({c.metric_key for c in same_source})
            message = (
                f"No challenge in category {category_key!r} with metric source {metric_source!r} has the {what} key"
                f" {metric_key!r} (keys there: {', '.join(keys)})."
            )
    raise ValidationError({field: message})


_SAME_FALLBACK = "The tiebreak challenge must differ from the challenge itself."


def resolve_challenges(definition: LeaderboardDef) -> ResolvedChallenges:
    """The challenge of `definition` and its fallback (same category and source), each exactly one.

    Raises ValidationError keyed by the field that did not resolve, with a message naming what was looked for.
    A board of season points resolves to no challenge, once its fields say so consistently.
    """
    if ranks_season_points(definition):
        _check_season_points(definition)
        return ResolvedChallenges(challenge=None, fallback=None)
    challenge = _resolve_one(
        definition.category_key, definition.metric_source, definition.metric_key, field="metric_key", what="metric"
    )
    fallback = None
    if definition.fallback_metric_key:
        if definition.fallback_metric_key == definition.metric_key:
            raise ValidationError(
                {"fallback_metric_key": "The tiebreak challenge must differ from the challenge itself."}
            )
        fallback = _resolve_one(
            definition.category_key,
            definition.metric_source,
            definition.fallback_metric_key,
            field="fallback_metric_key",
            what="fallback metric",
        )
    return ResolvedChallenges(challenge=challenge, fallback=fallback)


def _check_season_points(definition: LeaderboardDef) -> None:
    errors = {
        name: message
        for name, (value, message) in SEASON_POINTS_SHAPE.items()
        if (getattr(definition, name) or None) != value
    }
    if errors:
        raise ValidationError(errors)
