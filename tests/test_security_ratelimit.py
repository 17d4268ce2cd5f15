"""Patient links: no personal data, single use, expiring, hashed, and rate-limited."""

import uuid

import pytest
import redis
from django.core.cache import cache
from django.urls import reverse

from clinics.tokens import hash_token
from intake.models import IntakeLink
from intake.services import create_intake_link
from security import ratelimit
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def limited(settings):  # type: ignore[no-untyped-def]
    settings.BACKPATH_LINK_RATE_LIMIT = 3
    settings.BACKPATH_LINK_RATE_WINDOW = 300
    cache.clear()
    yield
    cache.clear()


def test_a_patient_link_is_refused_after_too_many_requests_from_one_address(client, limited):
    client.cookies["django_language"] = "en"
    for _ in range(3):
        assert client.get("/intake/some-token/", REMOTE_ADDR="192.0.2.7").status_code == 404
    response = client.get("/intake/some-token/", REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 300
    assert "Please wait a moment" in response.content.decode()


def test_the_limit_counts_each_address_apart(client, limited):
    for _ in range(3):
        client.get("/intake/some-token/", REMOTE_ADDR="192.0.2.7")
    assert client.get("/intake/some-token/", REMOTE_ADDR="192.0.2.8").status_code == 404


def test_follow_up_questionnaire_links_are_limited_by_their_prefix(client, limited):
    for _ in range(3):
        client.get("/q/guessed-token/", REMOTE_ADDR="192.0.2.9")
    assert client.get("/q/another-guess/", REMOTE_ADDR="192.0.2.9").status_code == 429


def test_staff_pages_are_not_limited(client, limited, receptionist):
    client.force_login(receptionist)
    for _ in range(5):
        assert client.get(reverse("intake:reception_home")).status_code == 200


def test_the_limit_opens_again_in_the_next_window(client, limited, time_machine):
    time_machine.move_to("2026-03-02 09:00:00 +01:00", tick=False)
    for _ in range(4):
        client.get("/intake/some-token/", REMOTE_ADDR="192.0.2.7")
    time_machine.move_to("2026-03-02 09:05:01 +01:00", tick=False)
    assert client.get("/intake/some-token/", REMOTE_ADDR="192.0.2.7").status_code == 404


def test_behind_a_proxy_the_limit_uses_the_forwarded_address(client, limited, settings):
    settings.BACKPATH_PROXY_COUNT = 1
    for n in range(4):
        response = client.get(
            "/intake/t/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        )
        assert response.status_code == 404
    # A client cannot dodge the limit by writing its own X-Forwarded-For entries.
    for n in range(4):
        response = client.get(
            "/intake/t/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 198.51.100.9"
        )
    assert response.status_code == 429


@pytest.mark.redis
def test_the_limiter_counts_in_redis_across_processes(redis_url, settings):
    from django.core.cache.backends.redis import RedisCache

    # A key prefix of this run's own, cleared by prefix: clear() would empty the whole Redis
    # database, with the Celery queues of the tests running beside this one.
    prefix = f"backpath-test-ratelimit-{uuid.uuid4().hex}"
    shared = RedisCache(redis_url, {"KEY_PREFIX": prefix})
    original = ratelimit.cache
    ratelimit.cache = shared
    try:
        verdicts = [
            ratelimit.hit("link:/intake/", "203.0.113.5", limit=2, window=60) for _ in range(3)
        ]
    finally:
        ratelimit.cache = original
        server = redis.Redis.from_url(redis_url)
        if keys := server.keys(f"{prefix}:*"):
            server.delete(*keys)
    assert [v.allowed for v in verdicts] == [True, True, False]


def test_the_link_carries_no_personal_data_and_only_its_hash_is_stored():
    patient = PatientFactory(first_name="Griet", last_name="Van Damme", insz=None)
    link, token = create_intake_link(patient, by=None)
    assert len(token) >= 40
    assert "griet" not in token.lower() and str(patient.pk) != token
    stored = IntakeLink.objects.get(pk=link.pk)
    assert stored.token_hash == hash_token(token) != token
    assert not IntakeLink.objects.filter(token_hash=token).exists()


def test_changing_the_token_opens_no_other_patients_questionnaire(client):
    mine, _ = create_intake_link(PatientFactory(), by=None)
    _, theirs = create_intake_link(PatientFactory(), by=None)
    tampered = theirs[:-1] + ("A" if theirs[-1] != "A" else "B")
    assert client.get(reverse("intake_public:self_intake", args=[tampered])).status_code == 404
    assert client.get(reverse("intake_public:self_intake", args=[str(mine.pk)])).status_code == 404


def test_a_used_or_expired_link_no_longer_opens(client, time_machine):
    time_machine.move_to("2026-03-02 09:00 +01:00")
    link, token = create_intake_link(PatientFactory(), by=None)
    url = reverse("intake_public:self_intake", args=[token])
    time_machine.move_to("2026-03-09 09:01 +01:00")
    assert client.get(url).status_code == 410
    link.expires_at = link.created_at.replace(year=2027)
    link.used_at = link.created_at
    link.save()
    assert client.get(url).status_code == 410


def test_a_patient_link_still_opens_when_the_cache_is_unreachable(
    client, settings, monkeypatch, caplog
):
    from tests.test_outbox import free_port

    settings.BACKPATH_LINK_RATE_LIMIT = 3
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nobody listens there
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    monkeypatch.setattr(ratelimit._Cache, "down_until", 0.0)
    monkeypatch.setattr(ratelimit._Cache, "outage_logged", False)
    for _ in range(5):
        assert client.get("/intake/some-token/", REMOTE_ADDR="192.0.2.7").status_code == 404
    outage = [r for r in caplog.records if "cache is unreachable" in r.getMessage()]
    assert len(outage) == 1, "the outage is logged once, not per request"
