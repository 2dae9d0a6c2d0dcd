"""The admin's season form: times said to be UTC, and an active-season conflict that names the active season."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.html import format_html

from .models import Season


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
            "points_per_level": "Points a cluster needs for each level: level = points ÷ this, rounded down.",
        }

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
