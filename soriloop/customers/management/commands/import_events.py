"""soriloop import-events FILE --workspace W: customer events from a CSV or JSONL file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from soriloop.accounts.selectors import workspace_find
from soriloop.customers.events import customer_events_import, events_read


class Command(BaseCommand):
    help = (
        "Import customer events from a CSV (customer_external_id, customer_email, "
        "customer_phone, type, occurred_at, amount, id, properties, prop_<name>) or JSONL "
        "file (one POST /api/v1/events body a line), streamed; every bad row is reported."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--workspace", required=True, help="id, slug or name")

    def handle(self, *args: Any, file: str, workspace: str, **options: Any) -> None:
        target = workspace_find(ident=workspace)
        if target is None:
            raise CommandError(f"no workspace {workspace!r}")
        path = Path(file)
        kind = "jsonl" if path.suffix.lower() in (".jsonl", ".ndjson", ".json") else "csv"
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                report = customer_events_import(
                    workspace=target, rows=events_read(handle, kind=kind)
                )
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        for line, fields in report.errors:
            self.stderr.write(f"line {line}: {json.dumps(fields, ensure_ascii=False)}")
        self.stdout.write(
            f"stored={report.stored} duplicates={report.duplicates} bad={len(report.errors)}"
        )
        if report.errors:
            raise SystemExit(1)
