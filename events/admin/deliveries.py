from django.contrib import admin

from ..models import Delivery, DeliveryAttempt
from ..services import send_again


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ["attempted_at", "status_code", "latency_ms", "succeeded", "error", "response_body"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-attempted_at", "-id"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status", "endpoint", "event__type"]
    list_select_related = ["event", "endpoint"]
    search_fields = ["event__message_id"]
    readonly_fields = [
        "event",
        "endpoint",
        "status",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "last_status_code",
        "last_error",
        "delivered_at",
        "created_at",
    ]
    fields = readonly_fields
    inlines = [DeliveryAttemptInline]
    actions = ["send_again"]

    @admin.display(description="type", ordering="event__type")
    def event_type(self, delivery):
        return delivery.event.type

    @admin.action(description="Send again (also delivered and dead ones)", permissions=["change"])
    def send_again(self, request, queryset):
        count = send_again(list(queryset))
        self.message_user(request, f"{count} deliver{'y' if count == 1 else 'ies'} will be sent again now.")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
