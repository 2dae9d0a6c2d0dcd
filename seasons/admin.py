from django.contrib import admin, messages
from django.db import models
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from .models import Season, SeasonChallengeWeight, SeasonProgress
from .services import SeasonEndedError, recompute_season_points


def _count_per_season(queryset) -> Coalesce:
    """A per-season count as a correlated subquery: a join would multiply rows across relations."""
    counts = queryset.filter(season=OuterRef("pk")).order_by().values("season").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


class SeasonChallengeWeightInline(admin.TabularInline):
    model = SeasonChallengeWeight
    extra = 1
    fields = ["challenge", "weight"]
    # The form field of a PositiveIntegerField allows 0; weights start at 1.
    formfield_overrides = {models.PositiveIntegerField: {"min_value": 1}}


@admin.register(Season)
class SeasonAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "starts_at", "ends_at", "is_active", "weight_count", "clusters_with_points"]
    list_filter = ["is_active"]
    search_fields = ["id", "name"]
    inlines = [SeasonChallengeWeightInline]
    actions = ["recompute_progress"]
    formfield_overrides = {models.PositiveIntegerField: {"min_value": 1}}  # points_per_level

    def get_readonly_fields(self, request, obj=None):
        # The id is an identity (weights, progress and the API refer to it); the admin would copy
        # the season under a new id rather than rename it.
        return ["id", "created_at", "updated_at"] if obj else ["created_at", "updated_at"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                weight_count=_count_per_season(SeasonChallengeWeight.objects),
                clusters_with_points=_count_per_season(SeasonProgress.objects.filter(points__gt=0)),
            )
        )

    @admin.display(description="weights", ordering="weight_count")
    def weight_count(self, season):
        return season.weight_count

    @admin.display(description="clusters with points", ordering="clusters_with_points")
    def clusters_with_points(self, season):
        return season.clusters_with_points

    @admin.action(description="Recompute progress")
    def recompute_progress(self, request, queryset):
        for season in queryset:
            try:
                result = recompute_season_points(season)
            except SeasonEndedError as exc:
                self.message_user(request, f"Season {season.pk} was not recomputed: {exc}.", messages.WARNING)
            else:
                self.message_user(request, f"Recomputed {result}.", messages.SUCCESS)


@admin.register(SeasonProgress)
class SeasonProgressAdmin(admin.ModelAdmin):
    list_display = ["cluster_id", "season", "points", "level", "updated_at"]
    list_filter = ["season"]
    list_select_related = ["season"]
    search_fields = ["=cluster_id"]
    ordering = ["-points", "cluster_id"]
    show_full_result_count = False  # COUNT(*) over millions of rows on every page is not worth it

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
