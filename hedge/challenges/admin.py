"""The challenge catalogue is code (HEDGE_CHALLENGE_CONFIG): the admin shows it and never edits it.

An edit here would be undone, or a challenge deactivated, by the next `sync_challenge_config`;
change hedge/challenges/config.py and sync instead. Progress is written by the ETL and imports.
"""

from django.contrib import admin

from hedge.core.admin import HistoryAdmin, LargeTableAdmin, ReadOnlyAdminMixin

from .models import Challenge, ChallengeCategory, ChallengeProgress, ChallengeTier


@admin.register(ChallengeCategory)
class ChallengeCategoryAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    list_display = ["key", "name"]
    search_fields = ["key", "name"]


class ChallengeTierInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ChallengeTier
    extra = 0
    fields = ["tier", "threshold", "name"]


@admin.register(Challenge)
class ChallengeAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    list_display = ["code", "name", "category", "metric_source", "metric_key", "is_active"]
    list_filter = ["is_active", "category", "metric_source"]
    list_select_related = ["category"]
    search_fields = ["code", "name", "metric_source", "metric_key"]
    inlines = [ChallengeTierInline]


@admin.register(ChallengeProgress)
class ChallengeProgressAdmin(LargeTableAdmin):
    list_display = ["cluster_id", "challenge", "value", "current_tier", "updated_at"]
    list_filter = ["challenge"]
    list_select_related = ["challenge"]
    search_fields = ["=cluster_id"]
    # Served by the (challenge, -value, cluster_id) index once a challenge is filtered.
    ordering = ["challenge", "-value", "cluster_id"]
