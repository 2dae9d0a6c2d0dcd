"""Leagues: a board's clusters split into tiers of small cohorts, promoted and demoted each period.

A league follows one leaderboard definition (DAILY, WEEKLY, MONTHLY or SEASON) and ranks what it
ranks. Its rows, written only set-based by the board's generations (leagues.services):

- `LeaguePeriod`: one period of the board in which the league placed clusters (its cohort size as
  it was when the period's first cluster was placed, and whether its moves are written);
- `LeagueMember`: a cluster's place in a period: tier (level), cohort within the tier, and its seat
  (`slot`, 0-based order of arrival within the tier: cohort = slot // cohort_size + 1);
- `LeagueMove`: a member's result at period end (cohort rank, score, promote/stay/demote, next level).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from hedge.core.clusters import CLUSTER_ID_MAX_LENGTH
from leaderboards.models import GAIN_WINDOWS, LEADERBOARD_KEY_MAX_LENGTH, LeaderboardDef, leaderboard_key_validator

MIN_COHORT_SIZE, MAX_COHORT_SIZE, DEFAULT_COHORT_SIZE = 2, 1000, 30
MAX_TIERS = 100


class League(models.Model):
    """Tiers of cohorts over one board's periods (Duolingo's weekly leagues, Hiro's tiered event leaderboards)."""

    key = models.CharField(
        max_length=LEADERBOARD_KEY_MAX_LENGTH,
        unique=True,
        validators=[leaderboard_key_validator],
        help_text="Used in URLs: letters, digits, _ and -.",
    )
    name = models.CharField(max_length=200)
    leaderboard = models.ForeignKey(
        LeaderboardDef,
        on_delete=models.PROTECT,
        to_field="key",
        db_column="leaderboard_key",
        related_name="leagues",
        help_text="The DAILY, WEEKLY, MONTHLY or SEASON board it follows: it ranks what that board ranks.",
    )
    cohort_size = models.PositiveIntegerField(
        default=DEFAULT_COHORT_SIZE,
        validators=[MinValueValidator(MIN_COHORT_SIZE), MaxValueValidator(MAX_COHORT_SIZE)],
        help_text=f"Members per cohort, {MIN_COHORT_SIZE}..{MAX_COHORT_SIZE}; a change applies from the next period.",
    )
    idle_demotion = models.BooleanField(
        default=False, help_text="A member who gained nothing in a period drops one tier (never below the lowest)."
    )
    is_active = models.BooleanField(default=True, help_text="Inactive: no placement, no moves, not served.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(table_name="leagues_history")

    class Meta:
        db_table = "leagues"
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cohort_size__gte=MIN_COHORT_SIZE, cohort_size__lte=MAX_COHORT_SIZE),
                name="leagues_cohort_size_valid",
                violation_error_message=f"A cohort holds {MIN_COHORT_SIZE} to {MAX_COHORT_SIZE} members.",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="leagues_name_required"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        board = LeaderboardDef.objects.filter(key=self.leaderboard_id).first() if self.leaderboard_id else None
        if board is not None and board.time_window not in GAIN_WINDOWS:
            raise ValidationError(
                {"leaderboard": "A league follows a board with periods (DAILY, WEEKLY, MONTHLY or SEASON)."}
            )


def _zone_constraints(zone: str) -> list[models.CheckConstraint]:
    count, percent = f"{zone}_count", f"{zone}_percent"
    return [
        models.CheckConstraint(
            condition=Q(**{f"{count}__isnull": True}) | Q(**{f"{percent}__isnull": True}),
            name=f"league_tiers_{zone}_count_or_share",
            violation_error_message=f"Give the {zone} zone as a count or as a share, not both.",
        ),
        models.CheckConstraint(
            condition=Q(**{f"{percent}__isnull": True}) | Q(**{f"{percent}__gt": 0, f"{percent}__lte": 100}),
            name=f"league_tiers_{zone}_share_valid",
            violation_error_message="A share is more than 0 and at most 100 (percent).",
        ),
    ]


_SHARE = {
    "max_digits": 7,
    "decimal_places": 4,
    "null": True,
    "blank": True,
    "validators": [MinValueValidator(Decimal("0.0001")), MaxValueValidator(Decimal("100"))],
}


class LeagueTier(models.Model):
    """One tier of a league: level 1 is the lowest. Zones are a count or a share (percent) of the cohort.

    A share is ceil(P/100 x the cohort's members), like a prize's top percentage. The top tier never
    promotes and level 1 never demotes, whatever its row says.
    """

    league = models.ForeignKey(League, on_delete=models.CASCADE, related_name="tiers")
    level = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MAX_TIERS)])
    name = models.CharField(max_length=100)
    promote_count = models.PositiveIntegerField(null=True, blank=True, help_text="How many of a cohort promote.")
    promote_percent = models.DecimalField(**_SHARE, help_text="Or: the top P% of a cohort promote.")
    demote_count = models.PositiveIntegerField(null=True, blank=True, help_text="How many of a cohort demote.")
    demote_percent = models.DecimalField(**_SHARE, help_text="Or: the bottom P% of a cohort demote.")

    history = HistoricalRecords(table_name="league_tiers_history")

    class Meta:
        db_table = "league_tiers"
        ordering = ["league", "level"]
        constraints = [
            models.UniqueConstraint(fields=["league", "level"], name="league_tiers_unique_level"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=MAX_TIERS), name="league_tiers_level_valid"),
            models.CheckConstraint(condition=~Q(name=""), name="league_tiers_name_required"),
            *_zone_constraints("promote"),
            *_zone_constraints("demote"),
            models.CheckConstraint(
                condition=~Q(level=1) | Q(demote_percent__isnull=True, demote_count__isnull=True) | Q(demote_count=0),
                name="league_tiers_lowest_demotes_none",
                violation_error_message="The lowest tier (level 1) demotes nobody.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.league.key} · {self.level} {self.name}"

    @staticmethod
    def zone_text(count, percent) -> str:
        if percent is not None:
            return f"{percent.normalize():f}%"
        return str(count or 0)


class LeaguePeriod(models.Model):
    """A period of the board in which the league placed clusters; `closed_by_run_id` once its moves are written."""

    league = models.ForeignKey(League, on_delete=models.CASCADE, related_name="periods")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    cohort_size = models.PositiveIntegerField(help_text="The league's cohort size when the period was opened.")
    opened_at = models.DateTimeField()
    closed_by_run_id = models.BigIntegerField(null=True, blank=True, help_text="The final run its moves come from.")
    closed_at = models.DateTimeField(null=True, blank=True)
    # A correcting final run published after the next period's cohorts were filled: its moves were not rewritten.
    unapplied_correction_run_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        db_table = "league_periods"
        ordering = ["league", "-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["league", "period_start"], name="league_periods_unique_start"),
            models.CheckConstraint(
                condition=Q(period_start__lt=F("period_end")), name="league_periods_start_before_end"
            ),
            models.CheckConstraint(
                condition=Q(cohort_size__gte=MIN_COHORT_SIZE, cohort_size__lte=MAX_COHORT_SIZE),
                name="league_periods_cohort_size_valid",
            ),
            models.CheckConstraint(
                condition=Q(closed_by_run_id__isnull=True, closed_at__isnull=True)
                | Q(closed_by_run_id__isnull=False, closed_at__isnull=False),
                name="league_periods_closed_shape",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.league.key} {self.period_start:%Y-%m-%d %H:%M}–{self.period_end:%Y-%m-%d %H:%M}"


class LeagueMember(models.Model):
    """A cluster's place in one period: tier, cohort and seat. Written only by placement, never changed."""

    league = models.ForeignKey(League, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    period_start = models.DateTimeField()
    cluster_id = models.CharField(max_length=CLUSTER_ID_MAX_LENGTH)
    level = models.PositiveSmallIntegerField()
    cohort = models.PositiveIntegerField(help_text="Cohort number within the tier, from 1.")
    slot = models.PositiveIntegerField(help_text="Order of arrival within the tier, from 0.")

    class Meta:
        db_table = "league_members"
        ordering = ["league", "period_start", "level", "cohort", "slot"]
        constraints = [
            # Also the index of "a cluster's place" and of its history (and of its latest earlier place).
            models.UniqueConstraint(
                fields=["league", "cluster_id", "period_start"], name="league_members_unique_cluster"
            ),
            # Also the index of a cohort's members and of a tier's last seat.
            models.UniqueConstraint(
                fields=["league", "period_start", "level", "cohort", "slot"], name="league_members_unique_seat"
            ),
            models.CheckConstraint(condition=Q(level__gte=1, cohort__gte=1), name="league_members_seat_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.cluster_id} · level {self.level} cohort {self.cohort}"


class Move(models.TextChoices):
    PROMOTE = "PROMOTE", "Promoted"
    STAY = "STAY", "Stayed"
    DEMOTE = "DEMOTE", "Demoted"


class LeagueMove(models.Model):
    """A member's result at period end, from the period's final run; a correction rewrites them all."""

    league = models.ForeignKey(League, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    period_start = models.DateTimeField()
    cluster_id = models.CharField(max_length=CLUSTER_ID_MAX_LENGTH)
    level = models.PositiveSmallIntegerField()
    cohort = models.PositiveIntegerField()
    rank = models.PositiveIntegerField(help_text="Within the cohort, by the board's rank mode.")
    score = models.BigIntegerField(help_text="0 for a member absent from the final run (gained nothing).")
    move = models.CharField(max_length=8, choices=Move.choices)
    next_level = models.PositiveSmallIntegerField()

    class Meta:
        db_table = "league_moves"
        ordering = ["league", "period_start", "level", "cohort", "rank", "cluster_id"]
        constraints = [
            # Also the index of a cluster's history.
            models.UniqueConstraint(
                fields=["league", "cluster_id", "period_start"], name="league_moves_unique_cluster"
            ),
            models.CheckConstraint(condition=Q(move__in=Move.values), name="league_moves_move_valid"),
            models.CheckConstraint(
                condition=Q(move=Move.PROMOTE, next_level=F("level") + 1)
                | Q(move=Move.STAY, next_level=F("level"))
                | Q(move=Move.DEMOTE, next_level=F("level") - 1, level__gte=2),
                name="league_moves_next_level_follows_move",
            ),
            models.CheckConstraint(condition=Q(rank__gte=1), name="league_moves_rank_positive"),
        ]
        indexes = [
            # A period's moves: rewriting them (a correction), counting them per tier (admin, event).
            models.Index(fields=["league", "period_start", "level", "move"], name="league_moves_period_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.cluster_id} · {self.level} → {self.next_level}"
