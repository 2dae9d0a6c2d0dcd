"""hedge's system checks (run by `manage.py check`, `migrate` and the development server)."""

import importlib.util

from django.conf import settings
from django.core.checks import Error, register

# The library each cache backend needs, as pip names it.
_CACHE_CLIENTS = {
    "django.core.cache.backends.redis.RedisCache": ("redis", "redis"),
    "django.core.cache.backends.memcached.PyMemcacheCache": ("pymemcache", "pymemcache"),
    "django.core.cache.backends.memcached.PyLibMCCache": ("pylibmc", "pylibmc"),
    "django_redis.cache.RedisCache": ("django_redis", "django-redis"),
}


@register()
def cache_client_installed(app_configs, **kwargs):
    """CACHE_URL names a backend whose client library is missing: every cache call would fail."""
    errors = []
    for alias, config in settings.CACHES.items():
        module, package = _CACHE_CLIENTS.get(config["BACKEND"], (None, None))
        if module and importlib.util.find_spec(module) is None:
            errors.append(
                Error(
                    f"The {alias!r} cache ({config['BACKEND']}, from CACHE_URL) needs the Python package "
                    f"{package!r}, which is not installed.",
                    hint=f"pip install {package}, or set CACHE_URL to a backend that is installed.",
                    id="hedge.E001",
                )
            )
    return errors
