"""Erasing one customer on request (a subject's right to erasure).

Every registered source (hooks.py) erases what it holds of the customer, highest room first,
then the profile and its events are deleted, in one transaction: the customer is either
there whole or gone everywhere. Sources that delete records append ``feedback.deleted`` and
``feedback.purged``, so the rollups recount and derived data is forgotten. The erasure is
audited without the data: the customer's id and how many rows went, never an identifier.

A customer with more than ``ERASURE_SYNC_LIMIT`` rows is erased by the worker
(``erasures_run``); the request answers 202 with the job's id."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from soriloop.accounts.models import Workspace
from soriloop.accounts.services import audit_record
from soriloop.core.changes import change_append
from soriloop.customers.hooks import customer_sources
from soriloop.customers.models import (
    Customer,
    CustomerErasure,
    ErasureState,
    Segment,
    SegmentMember,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ErasureOutcome:
    """``erased``: rows erased now; ``job``: the worker's job when it was too large."""

    erased: int | None = None
    job: CustomerErasure | None = None


def customer_erasure_size(*, customer: Customer) -> int:
    """How many rows erasing ``customer`` touches (the sources that can tell)."""
    return sum(
        source.size(customer.workspace_id, customer.pk)
        for source in customer_sources()
        if source.size is not None
    )


def customer_erase(*, customer: Customer, actor_label: str) -> ErasureOutcome:
    """Erase ``customer`` now, or queue it for the worker when it has more rows than
    ``ERASURE_SYNC_LIMIT`` (one job per customer: asking again returns the same job)."""
    if customer_erasure_size(customer=customer) <= settings.ERASURE_SYNC_LIMIT:
        return ErasureOutcome(erased=_erase(customer.workspace_id, customer.pk, actor_label))
    with transaction.atomic():
        job = (
            CustomerErasure.objects.filter(
                workspace_id=customer.workspace_id,
                customer_id=customer.pk,
                state__in=[ErasureState.PENDING, ErasureState.RUNNING],
            ).first()
        ) or CustomerErasure.objects.create(
            workspace_id=customer.workspace_id, customer_id=customer.pk, requested_by=actor_label
        )
    return ErasureOutcome(job=job)


def _erase(workspace_id: int, customer_id: int, actor_label: str) -> int:
    with transaction.atomic():
        customer = (
            Customer.objects.select_for_update()
            .filter(workspace_id=workspace_id, pk=customer_id)
            .first()
        )
        if customer is None:
            return 0
        email, phone = customer.email or "", customer.phone or ""
        erased = 0
        for source in reversed(customer_sources()):
            if source.erase is not None:
                erased += source.erase(workspace_id, customer_id, email, phone)
        segments = list(
            SegmentMember.objects.filter(customer=customer).values_list("segment_id", flat=True)
        )
        erased += customer.delete()[0]
        for segment_id in segments:
            count = SegmentMember.objects.filter(segment_id=segment_id).count()
            Segment.objects.filter(pk=segment_id).update(member_count=count)
        audit_record(
            workspace=Workspace.objects.get(pk=workspace_id),
            actor_label=actor_label,
            action="customer.erased",
            target=f"customer {customer_id}",
            data={"rows": erased},
        )
        change_append(
            workspace_id=workspace_id, type="customer.erased", subject_id=customer_id, payload={}
        )
    logger.info("erased customer %s of workspace %s (%s rows)", customer_id, workspace_id, erased)
    return erased


def customer_erasure_get(*, workspace: Workspace, job_id: int) -> CustomerErasure | None:
    return CustomerErasure.objects.filter(workspace=workspace, pk=job_id).first()


def erasures_run(*, owner: str = "", limit: int = 5) -> int:
    """Run waiting erasures (a worker loop); returns how many it finished. Each job is locked
    (``SKIP LOCKED`` on PostgreSQL) and marked done in the transaction that erases, so two
    workers never run one, and a worker that dies leaves it waiting, not half done."""
    done = 0
    for _ in range(limit):
        job: CustomerErasure | None = None
        try:
            with transaction.atomic():
                job = (
                    CustomerErasure.objects.select_for_update(skip_locked=True)
                    .filter(state=ErasureState.PENDING)
                    .order_by("id")
                    .first()
                )
                if job is None:
                    break
                job.erased = _erase(job.workspace_id, job.customer_id, job.requested_by)
                job.state, job.owner, job.finished_at = ErasureState.DONE, owner, timezone.now()
                job.save(update_fields=["erased", "state", "owner", "finished_at"])
        except Exception as exc:
            logger.exception("erasure failed")
            if job is not None:
                CustomerErasure.objects.filter(pk=job.pk).update(
                    state=ErasureState.FAILED, error=str(exc)[:500]
                )
            continue
        done += 1
    return done
