"""The project's own admin: django-axes' login attempts (hedge.core.lockout), their cleanup with its permission."""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.utils import timezone

# django-axes' "Clean up expired attempts" deletes rows but declares no permission, so staff who may only view
# login attempts could run it (and it failed with a 500 outside a login request): the same admin, with the
# action declaring what it does.
if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class HedgeAccessAttemptAdmin(AccessAttemptAdmin):
    @admin.action(description="Clean up expired attempts", permissions=["delete"])
    def cleanup_expired_attempts(self, request, queryset):
        request.axes_attempt_time = timezone.now()  # axes sets it on login requests only; the cleanup reads it
        return super().cleanup_expired_attempts(request, queryset)
