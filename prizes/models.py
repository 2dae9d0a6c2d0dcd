"""Prizes: the prize table of a leaderboard definition, and the awards written from its final runs.

An award is a ledger row: it keeps its own copy of what it is for (the board, the period, the
cluster's rank, position and score, and the prize as it was), so it reads alone and outlives the
run's retention (`run_id` is not a database foreign key, like the entries').
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from hedge.core.clusters import CLUSTER_ID_MAX_LENGTH
from leaderboards.models import LEADERBOARD_KEY_MAX_LENGTH, LeaderboardDef

REFERENCE_MAX_LENGTH = 200
PRIZE_NAME_MAX_LENGTH = 200
PRIZE_KIND_MAX_LENGTH = 64


class LeaderboardPrize(models.Model):
    """One row of a board's prize table, or of a league tier's: a rank range or a top percentage, and what it wins.

    Ties are never split: a row goes by rank, so every cluster sharing the boundary rank wins it.
    "Top P%" is every cluster whose rank is at most the rank at position ceil(P/100 x entries of
    the run). A cluster may win several rows: they stack.

    A tier's row (`league_tier`, no `leaderboard`) goes by the rank within each cohort of that tier
    at period end (the league's moves): "top P%" of the cohort's members, and a member who gained
    nothing (score 0) wins nothing. It is awarded with the final run of the league's board.
    """

    leaderboard = models.ForeignKey(
        LeaderboardDef,
        on_delete=models.CASCADE,
        to_field="key",
        db_column="leaderboard_key",
        related_name="prizes",
        null=True,
        blank=True,
        help_text="The board whose rank wins it (empty for a league tier's row).",
    )
    league_tier = models.ForeignKey(
        "leagues.LeagueTier",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="prizes",
        help_text="The league tier whose cohort rank wins it (empty for a board's row).",
    )
    rank_from = models.PositiveIntegerField(null=True, blank=True, help_text="First rank that wins (inclusive).")
    rank_to = models.PositiveIntegerField(null=True, blank=True, help_text="Last rank that wins (inclusive).")
    top_percent = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.0001")), MaxValueValidator(Decimal("100"))],
        help_text="Instead of a rank range: the top P% of the run's entries (e.g. 1 or 0.5), ties included.",
    )
    min_score = models.BigIntegerField(null=True, blank=True, help_text="Optional: no prize below this score.")
    name = models.CharField(max_length=PRIZE_NAME_MAX_LENGTH)
    kind = models.CharField(max_length=PRIZE_KIND_MAX_LENGTH, help_text="Free text: token, badge, role, ...")
    quantity = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    data = models.JSONField(default=dict, blank=True, help_text="Handed to the game as it is (JSON).")

    # Audited like the definition (admin: the definition's prize table; who changed which row when).
    history = HistoricalRecords(table_name="leaderboard_prizes_history")

    class Meta:
        db_table = "leaderboard_prizes"
        # Table order: rank ranges by their first rank, then percentages from the smallest (NULLs last everywhere).
        ordering = [
            "leaderboard",
            F("rank_from").asc(nulls_last=True),
            F("top_percent").asc(nulls_last=True),
            "id",
        ]
        verbose_name = "prize"
        constraints = [
            models.CheckConstraint(
                condition=Q(leaderboard__isnull=False, league_tier__isnull=True)
                | Q(leaderboard__isnull=True, league_tier__isnull=False),
                name="leaderboard_prizes_board_or_tier",
                violation_error_message="A prize row belongs to a board or to a league tier, not both.",
            ),
            models.CheckConstraint(
                condition=Q(rank_from__isnull=False, rank_to__isnull=False, top_percent__isnull=True)
                | Q(rank_from__isnull=True, rank_to__isnull=True, top_percent__isnull=False),
                name="leaderboard_prizes_range_or_percent",
                violation_error_message="Give either a rank range (from and to) or a top percentage, not both.",
            ),
            models.CheckConstraint(
                condition=Q(rank_from__isnull=True) | Q(rank_from__gte=1, rank_to__gte=F("rank_from")),
                name="leaderboard_prizes_rank_range_valid",
                violation_error_message="A rank range needs 1 <= from <= to.",
            ),
            models.CheckConstraint(
                condition=Q(top_percent__isnull=True) | Q(top_percent__gt=0, top_percent__lte=100),
                name="leaderboard_prizes_top_percent_valid",
                violation_error_message="A top percentage is more than 0 and at most 100.",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="leaderboard_prizes_quantity_positive"),
            models.CheckConstraint(condition=~Q(name=""), name="leaderboard_prizes_name_required"),
            models.CheckConstraint(condition=~Q(kind=""), name="leaderboard_prizes_kind_required"),
        ]

    def __str__(self) -> str:
        owner = self.leaderboard_id if self.league_tier_id is None else f"tier {self.league_tier_id}"
        return f"{owner}: {self.places} → {self.quantity} × {self.name}"

    @property
    def places(self) -> str:
        if self.top_percent is not None:
            return f"top {self.top_percent.normalize():f}%"
        if self.rank_from == self.rank_to:
            return f"rank {self.rank_from}"
        return f"ranks {self.rank_from}–{self.rank_to}"


class AwardStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    SETTLED = "SETTLED", "Settled (paid)"
    VOID = "VOID", "Void (its run was corrected)"


class LeaderboardAward(models.Model):
    """One prize row won by one cluster in one final run: PENDING until the game reports it paid.

    Written only set-based (prizes.services), inside the transaction that publishes the final run.
    SETTLED (with the game's unique `reference`, the key and the moment) is never taken back; a
    correction voids what is PENDING (`voided_by_run_id`) and marks a settled award whose cluster is
    no longer entitled (`disentitled_by_run_id`) for staff to decide.
    """

    run_id = models.BigIntegerField(help_text="The final run it was won in.")
    leaderboard_key = models.CharField(max_length=LEADERBOARD_KEY_MAX_LENGTH)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    cluster_id = models.CharField(max_length=CLUSTER_ID_MAX_LENGTH)
    rank = models.PositiveIntegerField()
    position = models.PositiveIntegerField()
    score = models.BigIntegerField()
    # A league tier's prize: the league, tier level and cohort the rank is within (rank: the cohort rank,
    # position: the place in the cohort). All NULL for a board's prize.
    league_key = models.CharField(  # noqa: DJ001 - NULL for a board's prize, like its level and cohort
        max_length=LEADERBOARD_KEY_MAX_LENGTH, null=True, blank=True
    )
    league_level = models.PositiveSmallIntegerField(null=True, blank=True)
    league_cohort = models.PositiveIntegerField(null=True, blank=True)
    # The prize row it was won by (NULL once that row is deleted: its snapshot below stays). Indexed, so
    # deleting a prize row finds its awards without reading every award.
    prize = models.ForeignKey(LeaderboardPrize, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    name = models.CharField(max_length=PRIZE_NAME_MAX_LENGTH)
    kind = models.CharField(max_length=PRIZE_KIND_MAX_LENGTH)
    quantity = models.PositiveIntegerField()
    data = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=AwardStatus.choices, default=AwardStatus.PENDING)
    created_at = models.DateTimeField()
    reference = models.CharField(  # noqa: DJ001 - NULL until settled; unique among settled awards
        max_length=REFERENCE_MAX_LENGTH, null=True, blank=True, help_text="The game's payment reference."
    )
    settled_at = models.DateTimeField(null=True, blank=True)
    api_key = models.ForeignKey(
        "rest_framework_api_key.APIKey",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The key that settled it.",
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by_run_id = models.BigIntegerField(null=True, blank=True, help_text="The final run that replaced its run.")
    disentitled_by_run_id = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="Paid, no longer entitled: the correcting final run under which this cluster would not win it.",
    )

    class Meta:
        db_table = "leaderboard_awards"
        ordering = ["-id"]
        constraints = [
            # One award per (run, cluster, prize row): also the index of "a run's awards".
            models.UniqueConstraint(fields=["run_id", "cluster_id", "prize"], name="leaderboard_awards_unique_prize"),
            models.UniqueConstraint(fields=["reference"], name="leaderboard_awards_unique_reference"),
            models.CheckConstraint(condition=Q(status__in=AwardStatus.values), name="leaderboard_awards_status_valid"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="leaderboard_awards_quantity_positive"),
            models.CheckConstraint(
                condition=Q(rank__gte=1, rank__lte=F("position")), name="leaderboard_awards_rank_within_position"
            ),
            models.CheckConstraint(
                condition=Q(league_key__isnull=True, league_level__isnull=True, league_cohort__isnull=True)
                | Q(league_key__isnull=False, league_level__isnull=False, league_cohort__isnull=False),
                name="leaderboard_awards_league_shape",
            ),
            models.CheckConstraint(
                condition=Q(
                    status=AwardStatus.SETTLED,
                    reference__isnull=False,
                    settled_at__isnull=False,
                    api_key__isnull=False,
                )
                | Q(~Q(status=AwardStatus.SETTLED), reference__isnull=True, settled_at__isnull=True),
                name="leaderboard_awards_settled_shape",
            ),
            models.CheckConstraint(condition=~Q(reference=""), name="leaderboard_awards_reference_not_blank"),
            models.CheckConstraint(
                condition=Q(status=AwardStatus.VOID, voided_at__isnull=False, voided_by_run_id__isnull=False)
                | Q(~Q(status=AwardStatus.VOID), voided_at__isnull=True, voided_by_run_id__isnull=True),
                name="leaderboard_awards_void_shape",
            ),
            models.CheckConstraint(
                condition=Q(disentitled_by_run_id__isnull=True) | Q(status=AwardStatus.SETTLED),
                name="leaderboard_awards_disentitled_settled",
            ),
        ]
        indexes = [
            # A run's awards in position order (public page, CSV, totals).
            models.Index(fields=["run_id", "position"], name="leaderboard_awards_run_idx"),
            # The service list: by status (and board), keyset by id.
            models.Index(fields=["status", "id"], name="leaderboard_awards_status_idx"),
            models.Index(fields=["leaderboard_key", "status", "id"], name="leaderboard_awards_board_idx"),
            # Settled awards of a period (a correction never pays a settled prize row twice).
            models.Index(
                fields=["leaderboard_key", "period_start", "period_end", "cluster_id"],
                name="leaderboard_awards_settled_idx",
                condition=Q(status=AwardStatus.SETTLED),
            ),
            # "Paid, no longer entitled" (admin).
            models.Index(
                fields=["disentitled_by_run_id"],
                name="leaderboard_awards_disent_idx",
                condition=Q(disentitled_by_run_id__isnull=False),
            ),
            models.Index(fields=["cluster_id"], name="leaderboard_awards_cluster_idx"),
        ]

    def __str__(self) -> str:
        where = f"{self.leaderboard_key} run {self.run_id} #{self.position}"
        return f"{where} {self.cluster_id}: {self.name} ({self.status})"
