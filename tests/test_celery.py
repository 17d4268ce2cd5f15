import time

import pytest
from celery.contrib.testing.worker import start_worker

from clinics.models import WorkerHeartbeat
from clinics.tasks import record_heartbeat
from config.celery import app


def test_every_beat_entry_names_a_registered_task_and_expires():
    app.loader.import_default_modules()
    assert app.conf.beat_schedule
    for name, entry in app.conf.beat_schedule.items():
        assert entry["task"] in app.tasks, name
        expires = entry["options"]["expires"]
        assert 0 < expires <= entry["schedule"], name


def test_every_task_of_ours_has_time_limits_and_its_messages_expire():
    app.loader.import_default_modules()
    ours = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert "outbox.tasks.send_queued_emails" in ours
    for name, task in ours.items():
        assert 0 < task.soft_time_limit < task.time_limit, name
        assert task.expires, name


def test_a_worker_that_loses_the_broker_finishes_its_tasks_rather_than_cancel_them():
    assert app.conf.worker_cancel_long_running_tasks_on_connection_loss is False


@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_on_redis_runs_a_task_and_writes_to_the_database(redis_url, settings):
    assert app.conf.broker_url.startswith("redis://"), "tests must use the Redis broker here"
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        record_heartbeat.delay("round-trip")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            beat = WorkerHeartbeat.objects.filter(name="round-trip").first()
            if beat is not None:
                break
            time.sleep(0.1)
    assert beat is not None, "the worker did not run the task within 30 s"
    assert beat.beats == 1
