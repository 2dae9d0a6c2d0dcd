from django.contrib import admin

from .models import Challenge, ChallengeCategory, ChallengeProgress, ChallengeTier


@admin.register(ChallengeCategory)
class ChallengeCategoryAdmin(admin.ModelAdmin):
    list_display = ["key", "name"]
    search_fields = ["key", "name"]


class ChallengeTierInline(admin.TabularInline):
    model = ChallengeTier
    extra = 0
    fields = ["tier", "threshold", "name"]


@admin.register(Challenge)
class ChallengeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "category", "metric_source", "metric_key", "is_active"]
    list_filter = ["is_active", "category", "metric_source"]
    list_select_related = ["category"]
    search_fields = ["code", "name", "metric_source", "metric_key"]
    inlines = [ChallengeTierInline]

    def get_readonly_fields(self, request, obj=None):
        # The code is an identity: config sync, season weights and imports refer to it.
        return ["code", "created_at", "updated_at"] if obj else ["created_at", "updated_at"]


@admin.register(ChallengeProgress)
class ChallengeProgressAdmin(admin.ModelAdmin):
    list_display = ["cluster_id", "challenge", "value", "current_tier", "updated_at"]
    list_filter = ["challenge"]
    list_select_related = ["challenge"]
    search_fields = ["=cluster_id"]
    ordering = ["challenge", "-value", "cluster_id"]
    show_full_result_count = False  # COUNT(*) over millions of rows on every page is not worth it

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
