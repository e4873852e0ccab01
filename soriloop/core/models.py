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


class Change(models.Model):
    """One domain event of the change log (see core.changes): appended by the service that
    made the change, in its transaction; read by consumers in id order."""

    id = models.BigAutoField(primary_key=True)
    # no foreign key: core sits below accounts, and a workspace's erasure prunes its events
    workspace_id = models.BigIntegerField()
    type = models.CharField(max_length=64)
    subject_id = models.BigIntegerField()
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["workspace_id", "id"], name="core_change_ws_id")]

    def __str__(self) -> str:
        return f"#{self.id} {self.type} {self.subject_id} (workspace {self.workspace_id})"


class ConsumerPosition(models.Model):
    """How far one consumer of the change log has read, and its last failure."""

    name = models.CharField(max_length=64, unique=True)
    position = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)
    failures = models.IntegerField(default=0)
    last_error = models.TextField(blank=True, default="")

    def __str__(self) -> str:
        return f"{self.name} at {self.position}"
