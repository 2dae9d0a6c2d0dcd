"""The admin's forms for leaderboards: a definition picked from the catalogue by name, a run for a period,
many clusters excluded at once, and the note of a regenerated final run."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from hedge.challenges.models import Challenge

from ..errors import InvalidPeriod
from ..exclusions import InvalidExclusion, check_expiry, checked_reason, parse_cluster_ids
from ..models import Exclusion, LeaderboardDef
from ..periods import check_final_period, explicit_period
from ..resolve import SEASON_POINTS, ranks_season_points

# The most cluster ids one "Add exclusion" form takes (a larger list: several forms, or a script).
MAX_CLUSTER_IDS = 10_000


class ChallengeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, challenge: Challenge) -> str:
        inactive = "" if challenge.is_active else " — inactive"
        return f"{challenge.name} ({challenge.code}) · {challenge.category.key}{inactive}"


def _challenge_of(definition: LeaderboardDef, metric_key: str | None) -> Challenge | None:
    if definition.pk is None or not metric_key:
        return None
    return (
        Challenge.objects.filter(
            category__key=definition.category_key, metric_source=definition.metric_source, metric_key=metric_key
        )
        .order_by("-is_active", "code")
        .first()
    )


class LeaderboardDefForm(forms.ModelForm):
    """Staff pick the challenge (and the tiebreak challenge) by name; the stored metric fields follow from it.

    `category_key`, `metric_source`, `metric_key` and `fallback_metric_key` stay the stored identity
    (other readers of the table use them); the model's clean() still checks they name one active challenge.
    """

    season_points = forms.BooleanField(
        required=False,
        label="Rank season points",
        help_text="Rank the Challenge Pass points of the season instead of a challenge (time window: Season; "
        "ties go to the cluster that reached its points first).",
    )
    challenge = ChallengeChoiceField(
        queryset=Challenge.objects.none(),
        required=False,
        help_text="What the board ranks: the challenge's current value (All time) or what it gained in the period.",
    )
    fallback_challenge = ChallengeChoiceField(
        queryset=Challenge.objects.none(),
        required=False,
        label="Tiebreak challenge",
        help_text="Optional. Orders clusters with equal scores (more first); shown as the entry's fallbackValue. "
        "Must be in the same category and metric source as the challenge.",
    )

    class Meta:
        model = LeaderboardDef
        fields = ["key", "name", "description", "is_active", "time_window", "rank_mode", "max_entries"]
        help_texts = {
            "name": "The board's title in the app and the Discord bot.",
            "description": "Shown under the title on the public board.",
            "time_window": "Daily, weekly, monthly and season boards rank what clusters gained in the current "
            "period and start again when it ends; All time ranks current values.",
            "rank_mode": "How ties are numbered on the public board: dense 1, 1, 2 or competition 1, 1, 3.",
            "max_entries": "How many top places each run keeps (and the public board can show); 0 ranks every "
            "cluster, which takes longest.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = _challenge_of(self.instance, self.instance.metric_key)
        current_fallback = _challenge_of(self.instance, self.instance.fallback_metric_key)
        # Active challenges, plus the ones a deactivated definition still names (so it can be saved as it is).
        kept = [c.pk for c in (current, current_fallback) if c is not None]
        choices = (
            Challenge.objects.filter(Q(is_active=True) | Q(pk__in=kept))
            .select_related("category")
            .order_by("category__key", "name", "code")
        )
        self.fields["challenge"].queryset = choices
        self.fields["fallback_challenge"].queryset = choices
        self.initial.setdefault("challenge", current.pk if current else None)
        self.initial.setdefault("fallback_challenge", current_fallback.pk if current_fallback else None)
        self.initial.setdefault("season_points", self.instance.pk is not None and ranks_season_points(self.instance))

    def clean(self):
        cleaned = super().clean()
        challenge, fallback = cleaned.get("challenge"), cleaned.get("fallback_challenge")
        if cleaned.get("season_points"):
            if challenge is not None:
                self.add_error("challenge", "A board of season points ranks no challenge: leave this empty.")
            if fallback is not None:
                self.add_error("fallback_challenge", "A board of season points has no tiebreak challenge.")
            category_key, metric_source, metric_key = SEASON_POINTS
            self.instance.category_key, self.instance.metric_source = category_key, metric_source
            self.instance.metric_key, self.instance.fallback_metric_key = metric_key, None
            return cleaned
        if challenge is None:
            if "challenge" not in self.errors:
                self.add_error("challenge", "Pick the challenge the board ranks, or tick Rank season points.")
            return cleaned
        # The same challenge twice is refused by resolve_challenges (the model's clean), like any definition.
        if fallback is not None and (fallback.category_id, fallback.metric_source) != (
            challenge.category_id,
            challenge.metric_source,
        ):
            self.add_error(
                "fallback_challenge",
                f"The tiebreak challenge must be in the challenge's category and metric source"
                f" ({challenge.category.key} / {challenge.metric_source}); {fallback.code} is in"
                f" {fallback.category.key} / {fallback.metric_source}.",
            )
            return cleaned
        self.instance.category_key = challenge.category.key
        self.instance.metric_source = challenge.metric_source
        self.instance.metric_key = challenge.metric_key
        self.instance.fallback_metric_key = fallback.metric_key if fallback else None
        return cleaned

    def add_error(self, field, error):
        # The model's clean() names the stored fields; staff see them as the challenge they picked.
        if field is None and isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            shown: dict[str, list] = {}
            for name, messages in error.error_dict.items():
                shown.setdefault(_SHOWN_AS.get(name, name), []).extend(messages)
            error = ValidationError(shown)
        super().add_error(field, error)


_SHOWN_AS = {
    "category_key": "challenge",
    "metric_source": "challenge",
    "metric_key": "challenge",
    "fallback_metric_key": "fallback_challenge",
}

_UTC_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class GenerateRunForm(forms.Form):
    """A run of one leaderboard: of its current period, or of an explicit one (a backfill, or final standings)."""

    period_start = forms.DateTimeField(
        required=False, widget=_UTC_INPUT, label="Period start (UTC)", help_text="Empty: the current period."
    )
    period_end = forms.DateTimeField(
        required=False, widget=_UTC_INPUT, label="Period end (UTC)", help_text="Exclusive: the first moment after it."
    )
    final = forms.BooleanField(
        required=False,
        label="Final standings",
        help_text="Rank values as of the period's end; the period must have ended. Replaces an earlier final run "
        "of the same period.",
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why: required when final standings replace a published final run (kept on the new run).",
    )
    force = forms.BooleanField(required=False, label="Also if the leaderboard is inactive")

    def __init__(self, *args, definition: LeaderboardDef, **kwargs):
        super().__init__(*args, **kwargs)
        self.definition = definition
        if definition.is_active:
            del self.fields["force"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        try:
            period = explicit_period(start, end)
            if cleaned.get("final"):
                if period is None:
                    raise InvalidPeriod("A final run needs period_start and period_end.")
                check_final_period(self.definition.time_window, period, now=timezone.now())
        except InvalidPeriod as exc:
            raise ValidationError(str(exc)) from exc
        return cleaned


class ExclusionAddForm(forms.ModelForm):
    """Several clusters at once: one id per line, the same scope, reason and expiry for each."""

    cluster_ids = forms.CharField(
        label="Cluster ids",
        widget=forms.Textarea(attrs={"rows": 8, "cols": 60}),
        help_text=f"One per line (up to {MAX_CLUSTER_IDS:,}); blank lines are skipped.",
    )

    class Meta:
        model = Exclusion
        fields = ["leaderboard", "reason", "expires_at"]

    def clean_cluster_ids(self):
        try:
            cluster_ids = parse_cluster_ids(self.cleaned_data["cluster_ids"])
        except InvalidExclusion as exc:
            raise forms.ValidationError(str(exc)) from exc
        if len(cluster_ids) > MAX_CLUSTER_IDS:
            raise forms.ValidationError(f"{len(cluster_ids):,} cluster ids: give at most {MAX_CLUSTER_IDS:,} at once.")
        return cluster_ids

    def clean_reason(self):
        try:
            return checked_reason(self.cleaned_data["reason"])
        except InvalidExclusion as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_expires_at(self):
        try:
            check_expiry(self.cleaned_data.get("expires_at"), now=timezone.now())
        except InvalidExclusion as exc:
            raise forms.ValidationError(str(exc)) from exc
        return self.cleaned_data.get("expires_at")

    def _post_clean(self):
        # The exclusions are built by the service (one per cluster id), not from this form's instance.
        pass


class RegenerateFinalRunForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="Why the final standings are regenerated (e.g. the exclusions it must apply); kept on the new run.",
    )
