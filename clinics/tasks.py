from celery import shared_task
from django.db.models import F
from django.utils import timezone

from clinics.models import WorkerHeartbeat

HEARTBEAT_NAME = "beat"


@shared_task(ignore_result=True, expires=55, soft_time_limit=30, time_limit=60)
def record_heartbeat(name: str = HEARTBEAT_NAME) -> None:
    """Touch the heartbeat row so staff pages can show that background work runs."""
    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(name=name).update(last_seen=now, beats=F("beats") + 1)
    if not updated:
        WorkerHeartbeat.objects.get_or_create(name=name, defaults={"last_seen": now, "beats": 1})
