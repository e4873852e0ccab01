"""soriloop reencrypt: seal customer identifiers again under the first of ENCRYPTION_KEYS."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from soriloop.customers.services import customers_reencrypt


class Command(BaseCommand):
    help = (
        "Seal every customer's e-mail, phone and name under the first key of ENCRYPTION_KEYS "
        "and recompute the blind indexes (after rotating a key or BLIND_INDEX_KEY)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        changed = customers_reencrypt()
        self.stdout.write(f"{changed} customers sealed again")
