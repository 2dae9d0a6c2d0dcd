"""The pass on the season's admin page: the level curve and reward inlines, the track overview, the formula action.

Premium grants and claims are written by the service API only: the admin lists them read-only.
"""

from __future__ import annotations

import hashlib

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join

from hedge.core.admin import LargeTableAdmin

from ..levels import Formula, curve_problem, formula_thresholds, replace_level_curve, reward_beyond_problem
from ..models import MAX_CURVE_LEVELS, PremiumGrant, RewardClaim, Season, SeasonLevel, SeasonReward, Track
from ..selectors import rewards_with_points_required
from ..services import mark_points_stale


def _is_final(season: Season | None) -> bool:
    # A finalized season is never recomputed: a new weight or curve would never reach its stored progress.
    return season is not None and season.finalized_at is not None


class FinalSeasonReadOnly:
    """Inlines of a finalized season (`obj`, the season on the page) are shown, not edited."""

    def has_add_permission(self, request, obj=None):
        return not _is_final(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not _is_final(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _is_final(obj) and super().has_delete_permission(request, obj)


class LevelCurveFormSet(forms.BaseInlineFormSet):
    """The curve is checked as a whole: levels 1..n, each needing more points than the one before.

    On the season's page the rewards are checked against the curve as submitted by the reward
    formset (see link_pass_formsets); on its own, the stored rewards must fit the submitted curve.
    """

    # Set by link_pass_formsets: the rewards are submitted with the curve, and checked against it there.
    rewards_checked_with_curve = False

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("level")
        ]
        kept.sort(key=lambda row: row["level"])
        levels = [row["level"] for row in kept]
        if levels != list(range(1, len(levels) + 1)):
            missing = sorted(set(range(1, max(levels, default=0) + 1)) - set(levels))
            raise ValidationError(
                f"The curve's levels must run 1, 2, 3, ... without gaps; level {missing[0]} is missing."
            )
        if (problem := curve_problem([row["points_required"] for row in kept])) is not None:
            raise ValidationError(problem)
        self.submitted_last_level = len(kept)
        checked_here = kept and self.instance.pk is not None and not self.rewards_checked_with_curve
        if checked_here and (problem := reward_beyond_problem(self.instance, len(kept))) is not None:
            raise ValidationError(problem)


class SeasonLevelInline(FinalSeasonReadOnly, admin.TabularInline):
    model = SeasonLevel
    formset = LevelCurveFormSet
    extra = 0
    fields = ["level", "points_required"]
    ordering = ["level"]
    verbose_name = "level of the curve"
    verbose_name_plural = (
        "Level curve (empty: level = points ÷ points per level, uncapped). "
        "Fill it from a formula with the action “Fill the level curve from a formula”."
    )
    classes = ["collapse"]

    def get_formset(self, request, obj=None, **kwargs):
        # The heading says which rule decides levels now (an inline instance serves one request).
        if obj is not None and (levels := SeasonLevel.objects.filter(season=obj).count()):
            self.verbose_name_plural = (
                f"Level curve ({levels} levels: it decides levels, capped at level {levels}; points per level is "
                "not used). Fill it again from a formula with the action “Fill the level curve from a formula”."
            )
        return super().get_formset(request, obj, **kwargs)


class _RewardFormSet(forms.BaseInlineFormSet):
    # Set by link_pass_formsets: the curve's formset of the same page, whose submitted curve caps the levels.
    curve_formset: LevelCurveFormSet | None = None

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if self.curve_formset is not None:
            if not self.curve_formset.is_valid():
                return  # the curve's own errors are shown on it
            max_level = self.curve_formset.submitted_last_level
        elif self.instance.pk is not None:
            max_level = SeasonLevel.objects.filter(season=self.instance).count()
        else:
            return
        for form in self.forms:
            level = form.cleaned_data.get("level") if form.cleaned_data else None
            if max_level and level and level > max_level and not form.cleaned_data.get("DELETE"):
                form.add_error("level", f"The level curve ends at level {max_level}.")

    @property
    def track_overview(self) -> str:
        return track_overview(self.instance)


def link_pass_formsets(formsets) -> None:
    """Check the rewards of the season's page against the curve submitted with them, not the stored one.

    The admin validates each inline on its own, against what is stored: deleting levels 4-5 while
    adding a reward at level 5, or adding a 5-level curve with a reward at level 7, would pass.
    """
    curves = [formset for formset in formsets if isinstance(formset, LevelCurveFormSet)]
    rewards = [formset for formset in formsets if isinstance(formset, _RewardFormSet)]
    if len(curves) == 1 and len(rewards) == 1:
        rewards[0].curve_formset = curves[0]
        curves[0].rewards_checked_with_curve = True


class SeasonRewardInline(FinalSeasonReadOnly, admin.TabularInline):
    model = SeasonReward
    formset = _RewardFormSet
    extra = 1
    fields = ["track", "level", "name", "kind", "quantity", "description", "data"]
    ordering = ["track", "level", "name"]
    template = "admin/seasons/season/rewards_inline.html"
    formfield_overrides = {SeasonReward._meta.get_field("description").__class__: {"widget": forms.TextInput}}


def track_overview(season: Season) -> str:
    """The tracks side by side, by level: what each level needs and gives. One query."""
    if season.pk is None:
        return ""
    by_level: dict[int, dict[str, list[str]]] = {}
    needs: dict[int, int | None] = {}
    for reward in rewards_with_points_required(season.pk).order_by("level", "track", "name"):
        label = reward.name if reward.quantity == 1 else f"{reward.name} × {reward.quantity}"
        by_level.setdefault(reward.level, {}).setdefault(reward.track, []).append(f"{label} ({reward.kind})")
        needs[reward.level] = reward.points_required
    if not by_level:
        return format_html('<p class="help">{}</p>', "No rewards yet.")

    def needed(level: int) -> str:
        return "beyond the curve" if needs[level] is None else f"{needs[level]:,}"

    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                level,
                needed(level),
                ", ".join(tracks.get(Track.FREE, [])) or "—",
                ", ".join(tracks.get(Track.PREMIUM, [])) or "—",
            )
            for level, tracks in sorted(by_level.items())
        ),
    )
    return format_html(
        '<table class="hedge-stats hedge-track-overview"><thead><tr><th>level</th><th>points needed</th>'
        "<th>free track</th><th>premium track</th></tr></thead><tbody>{}</tbody></table>",
        rows,
    )


# --- the formula action --------------------------------------------------------------------------


class CurveFormulaForm(forms.Form):
    formula = forms.ChoiceField(choices=Formula.choices, widget=forms.RadioSelect, initial=Formula.FLAT)
    levels = forms.IntegerField(min_value=1, max_value=MAX_CURVE_LEVELS, initial=50)
    step = forms.IntegerField(min_value=1, required=False, help_text="Flat: the points of every level.")
    base = forms.IntegerField(
        min_value=1, required=False, help_text="Arithmetic and geometric: the points level 1 costs."
    )
    increment = forms.IntegerField(
        required=False, initial=0, help_text="Arithmetic: how many more points each level costs than the one before."
    )
    ratio = forms.DecimalField(
        min_value=1,
        max_value=100,
        max_digits=8,
        decimal_places=4,
        required=False,
        help_text="Geometric: each level costs this many times the one before (e.g. 1.1).",
    )

    _NEEDS = {Formula.FLAT: ["step"], Formula.ARITHMETIC: ["base"], Formula.GEOMETRIC: ["base", "ratio"]}

    def clean(self):
        data = super().clean()
        formula = data.get("formula")
        if formula is None or self.errors:
            return data
        for name in self._NEEDS[formula]:
            if data.get(name) is None:
                self.add_error(name, f"Required for the {formula} formula.")
        if self.errors:
            return data
        try:
            data["thresholds"] = formula_thresholds(
                formula,
                levels=data["levels"],
                step=data.get("step") or 0,
                base=data.get("base") or 0,
                increment=data.get("increment") or 0,
                ratio=data.get("ratio") or 1,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return data


def _fingerprint(thresholds: list[int]) -> str:
    return hashlib.sha256(",".join(map(str, thresholds)).encode()).hexdigest()[:16]


class LevelCurveFormulaMixin:
    """The action “Fill the level curve from a formula” of the season admin: form, preview, then save."""

    # Saving a curve changes at once which levels are claimable: staff who may change seasons.
    @admin.action(description="Fill the level curve from a formula", permissions=["change"])
    def fill_level_curve(self, request, queryset):
        seasons = list(queryset[:2])
        if len(seasons) != 1:
            self.message_user(request, "Select exactly one season to fill its level curve.", messages.WARNING)
            return None
        season = seasons[0]
        if _is_final(season):
            self.message_user(
                request, f"Season {season.pk} is final: its levels are never recomputed.", messages.WARNING
            )
            return None
        form = CurveFormulaForm(request.POST if "formula" in request.POST else None)
        thresholds = None
        if form.is_bound and form.is_valid():
            thresholds = form.cleaned_data["thresholds"]
            # Saved only as previewed: a parameter changed after the preview shows the new preview instead.
            if "apply" in request.POST and request.POST.get("previewed") == _fingerprint(thresholds):
                try:
                    replace_level_curve(season, thresholds)
                except ValidationError as exc:
                    form.add_error(None, exc)
                else:
                    mark_points_stale(season)
                    self.message_user(
                        request,
                        f"Season {season.pk}: level curve of {len(thresholds)} levels saved (level {len(thresholds)}"
                        f" at {thresholds[-1]:,} points). Stored levels follow at the next recompute"
                        " (action “Recompute progress”).",
                        messages.SUCCESS,
                    )
                    return None
        previous = [0, *(thresholds or [])]
        preview = [(n, points, points - previous[n - 1]) for n, points in enumerate(thresholds or [], start=1)]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Fill the level curve of season {season.pk}",
            "opts": self.model._meta,
            "season": season,
            "form": form,
            "preview": preview,
            "current_levels": SeasonLevel.objects.filter(season=season).count(),
            "fingerprint": _fingerprint(thresholds) if thresholds else "",
            "last_points": f"{thresholds[-1]:,}" if thresholds else "",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/seasons/season/fill_level_curve.html", context)


# --- what the service API wrote, read-only -------------------------------------------------------


@admin.register(PremiumGrant)
class PremiumGrantAdmin(LargeTableAdmin):
    list_display = ["cluster_id", "season", "reference", "source", "granted_at", "api_key"]
    list_filter = ["season", "source"]
    list_select_related = ["season", "api_key"]
    search_fields = ["=cluster_id", "=reference"]
    ordering = ["-granted_at", "-id"]


@admin.register(RewardClaim)
class RewardClaimAdmin(LargeTableAdmin):
    list_display = ["cluster_id", "season", "track", "level", "claimed_at", "level_at_claim", "api_key"]
    list_filter = ["season", "track"]
    list_select_related = ["season", "api_key"]
    search_fields = ["=cluster_id"]
    ordering = ["-claimed_at", "-id"]
