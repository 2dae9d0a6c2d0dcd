"""The admin's season form: times said to be UTC, and an active-season conflict that names the active season."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from ..models import Season, SeasonLevel


class SeasonForm(forms.ModelForm):
    class Meta:
        model = Season
        fields = "__all__"  # noqa: DJ007 (the admin picks the fields; this form adds help and a check)
        help_texts = {
            "starts_at": "UTC. GAINS seasons count what each challenge gained from this moment.",
            "ends_at": "UTC, exclusive. After it the season is recomputed once more, from values as of its end, "
            "and becomes final.",
            "is_active": "The season the app and the API show as current (at most one). It counts only between "
            "its start and end.",
            "points_per_level": "Used only while the level curve is empty: level = points ÷ this, rounded down, "
            "uncapped. A level curve with levels decides levels instead.",
        }

    # Asked for only when the active season is switched off while it runs (see clean).
    confirm_deactivation = forms.BooleanField(
        required=False,
        label="Yes, stop this season now",
        help_text="Deactivating the running season stops it: the ETL no longer updates its progress and its "
        "SEASON leaderboards get no new runs until a season is active again. Claims and stored points stay.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        points_per_level = self.fields.get("points_per_level")
        if points_per_level is not None and self.instance.pk is not None:
            levels = SeasonLevel.objects.filter(season=self.instance).count()
            if levels:
                points_per_level.help_text = (
                    f"Not used now: the level curve ({levels} levels) decides levels. Used again only if the "
                    "curve is emptied: level = points ÷ this, rounded down, uncapped."
                )

    def is_running_active_season(self) -> bool:
        """The season as stored is the active season, running now (its deactivation must be confirmed)."""
        season = self.instance
        if season.pk is None:
            return False
        stored = Season.objects.filter(pk=season.pk).values("is_active", "starts_at", "ends_at").first()
        return bool(stored and stored["is_active"] and stored["starts_at"] <= timezone.now() < stored["ends_at"])

    def clean(self):
        cleaned = super().clean()
        deactivated = "is_active" in self.changed_data and not cleaned.get("is_active")
        if deactivated and not cleaned.get("confirm_deactivation") and self.is_running_active_season():
            self.add_error(
                "is_active",
                f"Season {self.instance.pk} is running: deactivating it stops its progress updates and its SEASON "
                "leaderboards. Tick “Yes, stop this season now” to confirm.",
            )
        return cleaned

    def clean_id(self):
        season_id = self.cleaned_data["id"]
        if season_id == "active":
            raise forms.ValidationError("“active” names the running season in the API's paths: choose another id.")
        return season_id

    def clean_is_active(self):
        is_active = self.cleaned_data["is_active"]
        if is_active:
            other = Season.objects.filter(is_active=True).exclude(pk=self.instance.pk).first()
            if other is not None:
                url = reverse("admin:seasons_season_change", args=[other.pk])
                raise forms.ValidationError(
                    format_html(
                        'Season <a href="{}">{}</a> is already active; deactivate it first (one season is active'
                        " at a time).",
                        url,
                        other,
                    )
                )
        return is_active
