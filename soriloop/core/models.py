from django.db import models
from django.utils import timezone


class WorkerHeartbeat(models.Model):
    """The last sign of life of each background worker process."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.IntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.worker_id} on {self.hostname} (pid {self.pid})"


class RateCounter(models.Model):
    """One rate-limit window's count, shared by every web process (see core.ratelimit)."""

    key = models.CharField(max_length=255, unique=True)
    count = models.BigIntegerField(default=0)
    expires_at = models.FloatField(db_index=True)  # Unix time: the window ends

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
