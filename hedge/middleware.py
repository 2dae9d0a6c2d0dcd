from .views import healthz

HEALTH_PATHS = frozenset({"/healthz", "/healthz/"})


class HealthCheckMiddleware:
    """Answer `/healthz` before any other middleware.

    Load balancers probe each instance by its IP address over plain HTTP: the host check
    (ALLOWED_HOSTS) would answer 400 and the HTTPS redirect 301, so the probe must be answered
    before either runs. It says nothing but whether the database answers.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info in HEALTH_PATHS:
            return healthz(request)
        return self.get_response(request)
