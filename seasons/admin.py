import logging

from django.contrib import admin, messages
from django.db import DatabaseError, models
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from hedge.admin import CountedDeleteMixin, LargeTableAdmin

from .models import MAX_WEIGHT, Season, SeasonChallengeWeight, SeasonProgress
from .services import SeasonEndedError, SeasonNotStartedError, recompute_season

logger = logging.getLogger(__name__)


def _count_per_season(queryset) -> Coalesce:
    """A per-season count as a correlated subquery: a join would multiply rows across relations."""
    counts = queryset.filter(season=OuterRef("pk")).order_by().values("season").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def _is_final(season: Season | None) -> bool:
    # A finalized season is never recomputed, so a new scoring rule would never reach its stored progress.
    return season is not None and season.finalized_at is not None


class SeasonChallengeWeightInline(admin.TabularInline):
    model = SeasonChallengeWeight
    extra = 1
    fields = ["challenge", "weight"]
    # The form field of a PositiveIntegerField allows 0 and has no upper bound; the model's do.
    formfield_overrides = {models.PositiveIntegerField: {"min_value": 1, "max_value": MAX_WEIGHT}}

    # `obj` is the season on the page: the weights of one that has ended are shown, not edited.
    def has_add_permission(self, request, obj=None):
        return not _is_final(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not _is_final(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _is_final(obj) and super().has_delete_permission(request, obj)


@admin.register(Season)
class SeasonAdmin(CountedDeleteMixin, admin.ModelAdmin):
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
    inlines = [SeasonChallengeWeightInline]
    actions = ["recompute_progress"]
    formfield_overrides = {models.PositiveIntegerField: {"min_value": 1}}  # points_per_level
    # The delete page counts a season's progress rows instead of listing (and loading) each one.
    delete_counts = (("weights", "weights"), ("progress", "season progress rows"))

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["created_at", "updated_at"]
        # The id is an identity (weights, progress and the API refer to it); the admin would copy
        # the season under a new id rather than rename it.
        fields = ["id", "points_synced_through", "finalized_at", "created_at", "updated_at"]
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

    @admin.display(description="clusters with progress", ordering="clusters_with_progress")
    def clusters_with_progress(self, season):
        return season.clusters_with_progress

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        weights_changed = any(fs.new_objects or fs.changed_objects or fs.deleted_objects for fs in formsets)
        if {"points_per_level", "scoring"} & set(form.changed_data) or weights_changed:
            # Not recomputed here: a whole season may be a million clusters, too much for a request.
            self.message_user(
                request,
                f"The scoring of season {form.instance.pk} changed; its stored points and levels follow only"
                " after you select it and run the action “Recompute progress”.",
                messages.WARNING,
            )

    @admin.action(description="Recompute progress")
    def recompute_progress(self, request, queryset):
        for season in queryset:
            try:
                result = recompute_season(season)
            except (SeasonEndedError, SeasonNotStartedError) as exc:
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
