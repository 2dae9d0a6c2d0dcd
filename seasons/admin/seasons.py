"""The admin of seasons: the season page (settings, weights, Preview, standings, recompute), progress, the history
of a season's parts."""

import logging
from functools import partial

from django.contrib import admin, messages
from django.db import DatabaseError, models
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from hedge.challenges.models import Challenge
from hedge.challenges.services.locks import ProgressWritesInFlight
from hedge.core.admin import (
    CountedDeleteMixin,
    HistoryAdmin,
    LargeTableAdmin,
    PreviewAdminMixin,
    ReadOnlyAdminMixin,
    compact_datetime,
    permitted_object,
)

from ..errors import SeasonEndedError, SeasonNotStartedError
from ..models import MAX_WEIGHT, Season, SeasonChallengeWeight, SeasonLevel, SeasonProgress, SeasonReward
from ..services import mark_points_stale, recompute_season
from . import charts
from .exports import season_progress_csv
from .forms import SeasonForm
from .preview import preview_season
from .rewards import (
    FinalSeasonReadOnly,
    LevelCurveFormulaMixin,
    SeasonLevelInline,
    SeasonRewardInline,
    link_pass_formsets,
)

logger = logging.getLogger(__name__)


def _count_per_season(queryset) -> Coalesce:
    """A per-season count as a correlated subquery: a join would multiply rows across relations."""
    counts = queryset.filter(season=OuterRef("pk")).order_by().values("season").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def _challenge_label(challenge: Challenge) -> str:
    return f"{challenge.name} ({challenge.code})" + ("" if challenge.is_active else " — inactive")


# The season's fields that stored points and levels follow from (with its weights and level curve).
POINTS_FOLLOW_FROM = ("starts_at", "ends_at", "scoring", "points_per_level")

# The season's standings, shown on its page (read-only, computed by seasons.admin.charts).
STANDINGS_FIELDS = ["level_distribution", "points_percentiles", "changed_last_update", "change_history"]


class SeasonChallengeWeightInline(FinalSeasonReadOnly, admin.TabularInline):
    model = SeasonChallengeWeight
    extra = 1
    fields = ["challenge", "weight"]
    # The form field of a PositiveIntegerField allows 0 and has no upper bound; the model's do.
    formfield_overrides = {models.PositiveIntegerField: {"min_value": 1, "max_value": MAX_WEIGHT}}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "challenge":
            kwargs["queryset"] = Challenge.objects.order_by("-is_active", "name", "code")
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label_from_instance = _challenge_label
            field.help_text = "Points = this challenge's value (or gain) x the weight."
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Season)
class SeasonAdmin(LevelCurveFormulaMixin, CountedDeleteMixin, PreviewAdminMixin, HistoryAdmin):
    form = SeasonForm
    change_form_template = "admin/seasons/season/change_form.html"
    preview_template = "admin/seasons/season/preview.html"
    object_tools = ("recompute",)
    list_display = [
        "id",
        "name",
        "starts_at",
        "ends_at",
        "is_active",
        "scoring",
        "weight_count",
        "clusters_with_progress",
    ]
    list_filter = ["is_active", "scoring"]
    search_fields = ["id", "name"]
    inlines = [SeasonChallengeWeightInline, SeasonLevelInline, SeasonRewardInline]
    actions = ["recompute_progress", "fill_level_curve"]
    formfield_overrides = {models.PositiveIntegerField: {"min_value": 1}}  # points_per_level
    # The delete page counts a season's progress rows instead of listing (and loading) each one.
    delete_counts = (
        ("weights", "weights"),
        ("progress", "season progress rows"),
        ("levels", "levels of the curve"),
        ("rewards", "rewards"),
        ("premium_grants", "premium grants"),
        ("claims", "reward claims"),
    )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        [(name, options)] = fieldsets
        fields = [f for f in options["fields"] if f != "confirm_deactivation"]
        if obj is not None and obj.is_active and obj.starts_at <= timezone.now() < obj.ends_at:
            # Right under the flag it confirms: only the running active season asks.
            fields.insert(fields.index("is_active") + 1, "confirm_deactivation")
        if obj is None:
            return [(name, {**options, "fields": fields})]
        fields = [f for f in fields if f not in STANDINGS_FIELDS]
        return [(name, {**options, "fields": fields}), ("Standings", {"fields": STANDINGS_FIELDS})]

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/recompute/", wrap(self.recompute_view), name="seasons_season_recompute"),
            path("<path:object_id>/progress.csv", wrap(self.progress_csv_view), name="seasons_season_progress_csv"),
            *super().get_urls(),
        ]

    # --- what staff may do: each write names its permission (actions, views and buttons ask the same) --------

    def has_recompute_permission(self, request, obj=None) -> bool:
        """Recomputing rewrites the season's stored points and levels: staff who may change seasons."""
        return self.has_change_permission(request, obj)

    def has_preview_permission(self, request, obj=None) -> bool:
        """The preview writes the unsaved settings (then rolls back): staff who may change (or add) seasons."""
        return self.has_change_permission(request, obj) if obj is not None else self.has_add_permission(request)

    def _create_formsets(self, request, obj, change):
        formsets, inline_instances = super()._create_formsets(request, obj, change)
        link_pass_formsets(formsets)
        return formsets, inline_instances

    @admin.display(description="change history")
    def change_history(self, season):
        """Who changed what and when: the season's own History, and each weight, level and reward's."""
        links = [format_html('<a href="{}">season</a>', reverse("admin:seasons_season_history", args=[season.pk]))]
        for model, label in (
            (SeasonChallengeWeight, "weights"),
            (SeasonLevel, "level curve"),
            (SeasonReward, "rewards"),
        ):
            url = reverse(f"admin:seasons_{model._meta.model_name}_changelist")
            links.append(format_html('<a href="{}?season__id__exact={}">{}</a>', url, season.pk, label))
        return format_html_join(" · ", "{}", ((link,) for link in links))

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["created_at", "updated_at"]
        # The id is an identity (weights, progress and the API refer to it); the admin would copy
        # the season under a new id rather than rename it.
        fields = [
            "id",
            "points_synced_through",
            "points_out_of_date",
            "finalized_at",
            "created_at",
            "updated_at",
            *STANDINGS_FIELDS,
        ]
        if obj.finalized_at is not None:
            fields[1:1] = ["points_per_level", "scoring"]
        return fields

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        opts = self.model._meta
        if getattr(request.resolver_match, "url_name", None) != f"{opts.app_label}_{opts.model_name}_changelist":
            return queryset  # the change and delete pages show no counts: don't compute them
        # Seasons are few (a handful a year), so one correlated count per listed season is cheap
        # enough even over a million progress rows: index-only scans of (season, -points, cluster_id).
        return queryset.annotate(
            weight_count=_count_per_season(SeasonChallengeWeight.objects),
            clusters_with_progress=_count_per_season(SeasonProgress.objects),
        )

    @admin.display(description="weights", ordering="weight_count")
    def weight_count(self, season):
        return season.weight_count

    @admin.display(description="clusters", ordering="clusters_with_progress")
    def clusters_with_progress(self, season):
        return f"{season.clusters_with_progress:,}"

    @admin.display(description="clusters per level")
    def level_distribution(self, season):
        return charts.level_distribution_svg(season)

    @admin.display(description="points")
    def points_percentiles(self, season):
        stats = charts.points_percentiles(season)
        if not stats.clusters:
            return "No cluster has progress in this season yet."
        return format_html(
            '<table class="hedge-stats"><tr><th>clusters</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>'
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr></table>",
            f"{stats.clusters:,}",
            f"{stats.p50:,}",
            f"{stats.p90:,}",
            f"{stats.p99:,}",
            f"{stats.top:,}",
        )

    @admin.display(description="changed in the last update")
    def changed_last_update(self, season):
        changed = charts.clusters_changed_in_last_update(season)
        if changed is None:
            return "Not computed yet."
        return (
            f"{changed:,} cluster(s) whose points or level changed in the last update"
            f" (ETL run or recompute) at {compact_datetime(season.points_synced_through)}."
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Dates, scoring, weights and the level curve change stored points and levels; rewards do not.
        weights_changed = any(
            fs.new_objects or fs.changed_objects or fs.deleted_objects
            for fs in formsets
            if fs.model in (SeasonChallengeWeight, SeasonLevel)
        )
        scoring_changed = set(POINTS_FOLLOW_FROM) & set(form.changed_data) or weights_changed
        # Not recomputed here: a whole season may be a million clusters, too much for a request.
        if change and scoring_changed and mark_points_stale(form.instance):
            self.message_user(
                request,
                f"Season {form.instance.pk} changed how its points are computed: its stored points and levels are"
                " out of date (shown on its page, and as stale in /progress) until it is recomputed: run"
                " “Recompute progress” on it, or the next ETL run recomputes every cluster of it. Meanwhile a claim"
                " recomputes its cluster first.",
                messages.WARNING,
            )
        elif self._activated_before_computed(form):
            self.message_user(
                request,
                f"Season {form.instance.pk} has not been computed yet: the first ETL run while it is active and"
                " running computes every cluster (or run “Recompute progress” on it now).",
                messages.INFO,
            )

    @staticmethod
    def _activated_before_computed(form) -> bool:
        """The season was just made active, after its start, and was never computed."""
        season = form.instance
        return (
            "is_active" in form.changed_data
            and season.is_active
            and season.points_synced_through is None
            and season.starts_at <= timezone.now() < season.ends_at
        )

    @admin.display(description="points out of date")
    def points_out_of_date(self, season):
        if season.points_stale_since is None:
            return "No."
        return (
            f"Yes, since {compact_datetime(season.points_stale_since)} (its dates, scoring, weights or level curve"
            " changed): run “Recompute progress”, or the next ETL run recomputes every cluster."
        )

    def preview_input(self, request, season):
        """The top clusters by the points the form's (unsaved) settings and weights would give; rolled back."""
        form = self.get_form(request, season, change=season is not None)(request.POST, request.FILES, instance=season)
        valid = form.is_valid()  # first: the inline formsets belong to the season as the form sets it
        formsets = [
            formset_class(**self.get_formset_kwargs(request, form.instance, inline, formset_class.get_default_prefix()))
            for formset_class, inline in self.get_formsets_with_inlines(request, season)
        ]
        link_pass_formsets(formsets)
        valid = all([valid, *(formset.is_valid() for formset in formsets)])

        def write():
            saved = form.save()
            for formset in formsets:
                formset.instance = saved
                formset.save()
            return saved

        return {"form": form, "formsets": formsets}, partial(preview_season, write) if valid else None

    @method_decorator(require_POST)
    def recompute_view(self, request, object_id):
        """The season page's Recompute button: the action, for this one season."""
        season = permitted_object(self, request, object_id, "recompute")
        self.recompute_progress(request, [season])
        return redirect("admin:seasons_season_change", season.pk)

    def progress_csv_view(self, request, object_id):
        """Every cluster's points and level in the season as CSV, streamed."""
        return season_progress_csv(permitted_object(self, request, object_id, "view"))

    @admin.action(description="Recompute progress", permissions=["recompute"])
    def recompute_progress(self, request, queryset):
        for season in queryset:
            try:
                result = recompute_season(season)
            except (SeasonEndedError, SeasonNotStartedError, ProgressWritesInFlight) as exc:
                self.message_user(request, f"Season {season.pk} was not recomputed: {exc}.", messages.WARNING)
            except (DatabaseError, ValueError) as exc:
                # E.g. value x weight beyond 64 bits on PostgreSQL; nothing of the season was written.
                logger.exception("recomputing season %s failed", season.pk)
                self.message_user(request, f"Season {season.pk} was not recomputed: {exc}", messages.ERROR)
            else:
                level = messages.WARNING if result.failed else messages.SUCCESS
                self.message_user(request, f"Recomputed {result}.", level)


@admin.register(SeasonProgress)
class SeasonProgressAdmin(LargeTableAdmin):
    list_display = ["cluster_id", "season", "points", "level", "updated_at"]
    list_filter = ["season"]
    list_select_related = ["season"]
    search_fields = ["=cluster_id"]
    ordering = ["-points", "cluster_id"]


class _PartOfSeasonHistoryAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    """A weight, level or reward, read only (edited on its season's page), with its History of changes."""

    list_filter = ["season"]
    list_select_related = ["season"]


@admin.register(SeasonChallengeWeight)
class SeasonChallengeWeightHistoryAdmin(_PartOfSeasonHistoryAdmin):
    list_display = ["season", "challenge", "weight"]


@admin.register(SeasonLevel)
class SeasonLevelHistoryAdmin(_PartOfSeasonHistoryAdmin):
    list_display = ["season", "level", "points_required"]


@admin.register(SeasonReward)
class SeasonRewardHistoryAdmin(_PartOfSeasonHistoryAdmin):
    list_display = ["season", "track", "level", "name", "kind", "quantity"]
