"""Staff and webhooks in the admin: the secret shown once, rotation, Send test event, Send again, read-only events."""

import pytest
from django.contrib.auth.models import Permission

from events.models import Delivery, DeliveryStatus, EventType, WebhookEndpoint
from events.services import record_event
from tests.events.conftest import verified
from tests.factories import StaffUserFactory, WebhookEndpointFactory
from tests.helpers import messages_of

pytestmark = pytest.mark.django_db

ENDPOINTS = "/admin/events/webhookendpoint/"
DELIVERIES = "/admin/events/delivery/"
EVENTS = "/admin/events/event/"


def add_endpoint(client, url, **fields):
    data = {"name": "Discord #results", "url": url, "format": "discord", "is_active": "on", **fields}
    return client.post(f"{ENDPOINTS}add/", data)


def test_a_new_endpoint_shows_its_secret_once_and_never_again(admin_client, receiver):
    response = add_endpoint(admin_client, receiver.url, event_types=["leaderboard.final_published"])

    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 200
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert endpoint.event_types == "leaderboard.final_published"
    for page in (ENDPOINTS, f"{ENDPOINTS}{endpoint.pk}/change/", f"{ENDPOINTS}{endpoint.pk}/history/"):
        body = admin_client.get(page).content.decode()
        assert endpoint.secret not in body
    # The list shows the host only: a Discord URL carries its token in the path.
    assert "/hooks" not in admin_client.get(ENDPOINTS).content.decode()
    assert endpoint.history.count() == 1


def test_a_private_url_is_a_form_error_and_saves_nothing(admin_client, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False

    response = add_endpoint(admin_client, "http://127.0.0.1:9/hooks")

    assert response.status_code == 200
    assert "127.0.0.1 is a loopback address" in response.content.decode()
    assert WebhookEndpoint.objects.count() == 0


def test_rotating_shows_the_new_secret_once_and_keeps_the_old_one_signing(admin_client):
    endpoint = WebhookEndpointFactory()
    old = endpoint.secret

    response = admin_client.post(ENDPOINTS, {"action": "rotate_secrets", "_selected_action": [endpoint.pk]})

    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.previous_secret == old
    body = response.content.decode()
    assert endpoint.secret in body and old not in body
    assert "for 24 hours" in body


def test_send_test_event_delivers_at_once_and_shows_the_result(admin_client, receiver, endpoint):
    response = admin_client.post(ENDPOINTS, {"action": "send_test_event", "_selected_action": [endpoint.pk]})

    [message] = [text for _, text in messages_of(response)]
    assert "delivered: HTTP 200" in message
    [received] = receiver.received
    assert verified(received, endpoint.secret)["type"] == "webhook.test"
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED


def test_a_failing_test_event_shows_the_answer_and_is_not_retried(admin_client, receiver, endpoint):
    receiver.answer(500)
    receiver.answer_body = b"receiver exploded"

    response = admin_client.post(ENDPOINTS, {"action": "send_test_event", "_selected_action": [endpoint.pk]})

    [message] = [text for _, text in messages_of(response)]
    assert "failed (HTTP 500)" in message and "receiver exploded" in message
    assert Delivery.objects.get().status == DeliveryStatus.DEAD


def test_send_again_makes_dead_and_delivered_deliveries_due_now(admin_client, endpoint):
    record_event(EventType.RUN_FAILED, {"key": "a"})
    record_event(EventType.RUN_FAILED, {"key": "b"})
    Delivery.objects.update(status=DeliveryStatus.DEAD, next_attempt_at=None, attempts=11)

    admin_client.post(
        DELIVERIES, {"action": "send_again", "_selected_action": list(Delivery.objects.values_list("pk", flat=True))}
    )

    assert set(Delivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.PENDING, 0)}


def test_deliveries_are_filtered_by_status_endpoint_and_type(admin_client, endpoint):
    record_event(EventType.RUN_FAILED, {"key": "a"})
    record_event(EventType.ETL_FAILED, {"challengeCode": "c"})

    response = admin_client.get(
        DELIVERIES, {"event__type": "etl.failed", "status": "pending", "endpoint__id__exact": endpoint.pk}
    )

    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_events_are_read_only(admin_client):
    event = record_event(EventType.RUN_FAILED, {"key": "lb"})

    page = admin_client.get(f"{EVENTS}{event.pk}/change/")

    assert page.status_code == 200
    assert event.message_id in page.content.decode()
    assert admin_client.get(f"{EVENTS}add/").status_code == 403
    assert admin_client.post(f"{EVENTS}{event.pk}/delete/", {"post": "yes"}).status_code == 403


@pytest.fixture
def viewer(client):
    user = StaffUserFactory(
        username="viewer",
        permissions=Permission.objects.filter(codename__in=["view_webhookendpoint", "view_delivery", "view_event"]),
    )
    client.force_login(user)
    return client


def test_a_view_only_user_can_read_but_run_no_action(viewer, endpoint):
    record_event(EventType.RUN_FAILED, {"key": "lb"})
    old = endpoint.secret

    assert viewer.get(ENDPOINTS).status_code == 200
    assert viewer.get(DELIVERIES).status_code == 200
    for page, action, pk in [
        (ENDPOINTS, "rotate_secrets", endpoint.pk),
        (ENDPOINTS, "send_test_event", endpoint.pk),
        (DELIVERIES, "send_again", Delivery.objects.get().pk),
    ]:
        viewer.post(page, {"action": action, "_selected_action": [pk]})

    endpoint.refresh_from_db()
    assert endpoint.secret == old
    assert Delivery.objects.get().attempts == 0
    assert Delivery.objects.count() == 1  # no test event was written
