"""Abuse: the public API is rate-limited per client IP; the admin login locks out after repeated failures."""

import socket

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db

URL = "/leaderboards"


@pytest.fixture
def rate(settings):
    def set_rate(value, **more):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"client_ip": value}, **more}

    set_rate("3/minute")
    return set_rate


def statuses(client, count, **headers) -> list[int]:
    return [client.get(URL, **headers).status_code for _ in range(count)]


def test_a_client_beyond_the_rate_gets_a_json_429_with_retry_after(client, rate):
    assert statuses(client, 3) == [200, 200, 200]

    response = client.get(URL)

    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json()["detail"].startswith("Request was throttled.")


def test_each_client_ip_has_its_own_allowance(client, rate):
    assert statuses(client, 4, REMOTE_ADDR="198.51.100.1") == [200, 200, 200, 429]

    assert statuses(client, 3, REMOTE_ADDR="198.51.100.2") == [200, 200, 200]


def test_without_a_trusted_proxy_x_forwarded_for_cannot_dodge_the_limit(client, rate):
    forged = [client.get(URL, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(4)]

    assert forged == [200, 200, 200, 429]


def test_behind_one_trusted_proxy_the_client_is_the_address_it_appended(client, rate):
    rate("3/minute", NUM_PROXIES=1)
    # The proxy appends the address it saw; anything before it is the client's own claim.
    seen = [client.get(URL, HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 203.0.113.7").status_code for n in range(4)]
    other = client.get(URL, HTTP_X_FORWARDED_FOR="203.0.113.8")

    assert seen == [200, 200, 200, 429]
    assert other.status_code == 200


def test_trusted_internal_callers_are_never_throttled(client, rate, settings):
    settings.API_THROTTLE_EXEMPT_IPS = ["10.0.0.0/8"]

    assert statuses(client, 5, REMOTE_ADDR="10.1.2.3") == [200] * 5
    assert statuses(client, 4, REMOTE_ADDR="192.0.2.1")[-1] == 429


def test_throttling_can_be_switched_off(client, rate):
    rate(None)

    assert statuses(client, 5) == [200] * 5


def test_a_cache_outage_does_not_throttle_and_does_not_fail_requests(client, rate, settings):
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": f"redis://127.0.0.1:{port}"}
    }

    assert statuses(client, 5) == [200] * 5


def test_the_admin_and_the_service_api_are_not_counted(client, rate):
    for _ in range(5):
        client.get("/admin/login/")

    assert statuses(client, 3) == [200, 200, 200]


# --- the admin login (django-axes) -------------------------------------------------------------------


def login(client, username, password, ip="192.0.2.10"):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_the_admin_login_locks_a_username_out_of_one_address_after_five_failures_even_with_the_right_password(
    client, admin_user
):
    failures = [login(client, "admin", f"wrong-{n}", ip="192.0.2.10").status_code for n in range(5)]
    assert failures == [200, 200, 200, 200, 429]  # the form again, then the lockout from the fifth on

    locked = login(client, "admin", "password", ip="192.0.2.10")

    assert locked.status_code == 429
    assert "Account locked" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_failures_for_a_username_from_elsewhere_never_lock_it_out_of_another_address(client, admin_user):
    for n in range(10):
        login(client, "admin", f"wrong-{n}", ip=f"192.0.2.{n % 2}")  # 5 each from two addresses: both locked

    response = login(client, "admin", "password", ip="192.0.2.99")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(admin_user.pk)


def test_an_address_spraying_usernames_is_locked_out_after_twenty_failures(client, admin_user):
    # Five usernames, four failures each (under their own limit of five): twenty from one address.
    sprayed = [login(client, f"guess-{n % 5}", "wrong", ip="192.0.2.50").status_code for n in range(20)]

    assert sprayed == [200] * 19 + [429]
    assert login(client, "admin", "password", ip="192.0.2.50").status_code == 429
    assert login(client, "admin", "password", ip="192.0.2.51").status_code == 302  # another address may


def test_logging_in_to_an_own_account_does_not_clear_an_addresses_failures_with_other_usernames(client, admin_user):
    for n in range(19):
        login(client, f"guess-{n}", "wrong", ip="192.0.2.50")
    assert login(client, "admin", "password", ip="192.0.2.50").status_code == 302
    client.logout()

    assert login(client, "guess-19", "wrong", ip="192.0.2.50").status_code == 429


def test_axes_reset_lifts_the_lockout(client, admin_user):
    for n in range(5):
        login(client, "admin", f"wrong-{n}")
    assert login(client, "admin", "password").status_code == 429

    call_command("axes_reset", verbosity=0)

    response = login(client, "admin", "password")
    assert (response.status_code, response.url) == (302, "/admin/")


def test_a_successful_login_clears_earlier_failures(client, admin_user):
    for n in range(4):
        login(client, "admin", f"wrong-{n}")
    assert login(client, "admin", "password").status_code == 302
    client.logout()

    for n in range(4):
        login(client, "admin", f"again-{n}")

    assert login(client, "admin", "password").status_code == 302
