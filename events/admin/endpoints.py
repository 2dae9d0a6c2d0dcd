from urllib.parse import urlsplit

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils import timezone

from hedge.core.admin import HistoryAdmin

from ..delivery import send_test_event
from ..models import DeliveryStatus, WebhookEndpoint
from ..services import rotate_secret
from ..signing import new_secret
from .forms import WebhookEndpointForm

SECRETS_TEMPLATE = "admin/events/webhookendpoint/secrets.html"


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(HistoryAdmin):
    form = WebhookEndpointForm
    list_display = ["name", "host", "format", "subscribed_types", "is_active", "deactivated_reason"]
    list_filter = ["is_active", "format"]
    search_fields = ["name"]
    readonly_fields = ["deactivated_reason", "signing", "created_at", "updated_at"]
    actions = ["send_test_event", "rotate_secrets"]
    # The secret is never a field of any form, list or history row; it is shown once, on a page of its own.
    history_list_display = ["is_active", "format"]

    @admin.display(description="host")
    def host(self, endpoint):
        # The host only: a Discord webhook URL carries its token in the path.
        return urlsplit(endpoint.url).hostname

    @admin.display(description="event types")
    def subscribed_types(self, endpoint):
        return ", ".join(endpoint.event_type_list) or "all"

    @admin.display(description="signing secret")
    def signing(self, endpoint):
        if not endpoint.pk:
            return "Generated when the endpoint is saved, and shown once."
        text = "Set (whsec_…, shown once when it was made; rotate it to get a new one)."
        expires = endpoint.previous_secret_expires_at
        if endpoint.previous_secret and expires and expires > timezone.now():
            text += f" The previous secret also signs until {expires:%Y-%m-%d %H:%M} UTC."
        return text

    def save_model(self, request, obj, form, change):
        if not change:
            obj.secret = new_secret()
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        # The only moment the new secret is shown: this page, rendered once (never a redirect or a message cookie).
        return self._secrets_page(request, [(obj, obj.secret)], title="New endpoint's signing secret", rotated=False)

    @admin.action(description="Send test event (deliver now and show the result)", permissions=["change"])
    def send_test_event(self, request, queryset):
        for endpoint in queryset:
            delivery = send_test_event(endpoint, requested_by=request.user)
            attempt = delivery.attempt_log.order_by("-id").first()
            if delivery.status == DeliveryStatus.DELIVERED:
                level = messages.SUCCESS
                outcome = f"delivered: HTTP {attempt.status_code} in {attempt.latency_ms} ms"
            else:
                level = messages.ERROR
                answered = f"HTTP {attempt.status_code}" if attempt.status_code else attempt.error
                outcome = f"failed ({answered}) after {attempt.latency_ms} ms"
                if attempt.response_body:
                    outcome += f"; the answer began: {attempt.response_body[:200]!r}"
            self.message_user(request, f"{endpoint.name}: test event {delivery.event.message_id} {outcome}.", level)

    @admin.action(description="Rotate signing secret (the old one signs for 24 more hours)", permissions=["change"])
    def rotate_secrets(self, request, queryset):
        rotated = [(endpoint, rotate_secret(endpoint)) for endpoint in queryset]
        return self._secrets_page(request, rotated, title="Rotated signing secrets", rotated=True)

    def _secrets_page(self, request, secrets, *, title, rotated):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "secrets": secrets,
            "rotated": rotated,
        }
        response = TemplateResponse(request, SECRETS_TEMPLATE, context)
        response["Cache-Control"] = "no-store"
        return response
