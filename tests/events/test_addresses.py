"""Which webhook URLs are refused when an endpoint is saved: not https, or resolving to a non-public address."""

import pytest

from events.addresses import check_url, refused_address
from events.admin.forms import WebhookEndpointForm
from events.errors import UnsafeURL


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 - the address refused, not bound
        ("100.100.100.200", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("100.64.0.1", "not a public"),
    ],
)
def test_non_public_addresses_are_refused_with_what_they_are(address, kind):
    assert kind in refused_address(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "1.1.1.1"])
def test_public_addresses_are_allowed(address):
    assert refused_address(address) is None


@pytest.fixture
def strict(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    settings.WEBHOOK_ALLOW_HTTP = False


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://127.0.0.1/hooks", "127.0.0.1 is a loopback address"),
        ("https://localhost:8443/hooks", "loopback address"),
        ("https://169.254.169.254/latest/meta-data", "link-local address"),
        ("https://[::1]/hooks", "loopback address"),
        ("https://10.0.0.5/hooks", "private address"),
        ("http://93.184.215.14/hooks", "Use an https:// URL"),
        ("https://user:pw@93.184.215.14/hooks", "user name or password"),
    ],
)
def test_an_unsafe_url_is_refused_at_save_time_with_the_reason(strict, db, url, message):
    with pytest.raises(UnsafeURL, match=message):
        check_url(url)
    form = WebhookEndpointForm(data={"name": "x", "url": url, "format": "standard", "is_active": True})
    assert not form.is_valid()
    assert message in form.errors["url"][0]


def test_a_public_https_url_is_accepted(strict):
    check_url("https://93.184.215.14/hooks")


def test_development_settings_allow_http_and_private_addresses(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    settings.WEBHOOK_ALLOW_HTTP = True

    check_url("http://127.0.0.1:8000/hooks")


def test_the_form_stores_the_chosen_event_types_sorted_and_refuses_the_test_type(strict, db):
    form = WebhookEndpointForm(
        data={
            "name": "bot",
            "url": "https://93.184.215.14/hooks",
            "format": "discord",
            "is_active": True,
            "event_types": ["season.finalized", "leaderboard.final_published"],
        }
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["event_types"] == "leaderboard.final_published,season.finalized"
    refused = WebhookEndpointForm(data={**form.data, "event_types": ["webhook.test"]})
    assert "event_types" in refused.errors
