import json

from django.contrib import admin
from django.utils.html import format_html

from ..models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """The outbox, read-only: what happened, as it is delivered."""

    list_display = ["id", "type", "message_id", "occurred_at"]
    list_filter = ["type"]
    search_fields = ["message_id"]
    fields = ["message_id", "type", "occurred_at", "envelope"]
    readonly_fields = fields
    date_hierarchy = "occurred_at"

    @admin.display(description="body")
    def envelope(self, event):
        return format_html("<pre>{}</pre>", json.dumps(json.loads(event.body), indent=2, ensure_ascii=False))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
