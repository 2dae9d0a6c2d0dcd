"""Display names for staff: read-only (the game's backend sets them), with one write, clearing an abusive one."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html

from hedge.core.admin import CappedCountPaginator, HistoryAdmin, compact_datetime

from .models import ClusterProfile
from .services import clear_cluster_profiles


@admin.register(ClusterProfile)
class ClusterProfileAdmin(HistoryAdmin):
    list_display = ["cluster_id", "display_name", "avatar", "updated", "api_key"]
    list_select_related = ["api_key"]
    search_fields = ["cluster_id__exact", "display_name"]
    ordering = ["-updated_at"]
    list_per_page = 100
    paginator = CappedCountPaginator
    show_full_result_count = False
    fields = ["cluster_id", "display_name", "avatar_url", "updated_at", "api_key"]
    readonly_fields = fields
    actions = ["clear_names"]

    @admin.display(description="avatar")
    def avatar(self, profile):
        if not profile.avatar_url:
            return "—"
        return format_html('<a href="{}" rel="noreferrer noopener" target="_blank">link</a>', profile.avatar_url)

    @admin.display(description="updated", ordering="updated_at")
    def updated(self, profile):
        return compact_datetime(profile.updated_at)

    def has_add_permission(self, request, obj=None):
        return False  # set by the game's backend (PUT /service/clusters/{clusterId})

    def has_change_permission(self, request, obj=None):
        return False  # staff may clear them (the action), never write a name of their own

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # the action below says what deleting a row means
        return actions

    @admin.action(description="Clear display name and avatar", permissions=["delete"])
    def clear_names(self, request, queryset):
        cleared = clear_cluster_profiles(
            queryset.values_list("cluster_id", flat=True), reason="admin: Clear display name and avatar"
        )
        self.message_user(
            request,
            f"Cleared the display name and avatar of {cleared} cluster(s); they show their cluster ids now.",
            messages.SUCCESS,
        )
