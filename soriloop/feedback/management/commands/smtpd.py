"""soriloop smtpd: receive feedback by e-mail."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from soriloop.feedback.smtpd import smtpd_controller, smtpd_greets


class Command(BaseCommand):
    help = (
        "Run the inbound SMTP server: mail to a workspace's fb-<token>@ address becomes feedback."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.SMTPD_HOST)
        parser.add_argument("--port", type=int, default=settings.SMTPD_PORT)

    def handle(self, *args: Any, host: str, port: int, **options: Any) -> None:
        controller = smtpd_controller(host=host, port=port)
        controller.start()
        # "listening" is a promise to whoever reads it: a client connecting now is greeted.
        if not smtpd_greets(host=host, port=port):
            controller.stop()
            raise CommandError(f"smtpd on {host}:{port} does not answer a connection")
        self.stdout.write(f"smtpd listening on {host}:{port} for *@{settings.INBOUND_EMAIL_DOMAIN}")
        self.stdout.flush()
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        stop.wait()
        controller.stop()
