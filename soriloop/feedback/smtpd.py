"""An inbound SMTP server: mail to a workspace's address (or to a case's reply address)
becomes feedback, then 250."""

from __future__ import annotations

import logging
import socket
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from soriloop.feedback.mail import InvalidFeedback, mail_destination, mail_ingest

logger = logging.getLogger(__name__)


def _accepts(address: str) -> bool:
    close_old_connections()
    return mail_destination(address, settings.INBOUND_EMAIL_DOMAIN) is not None


def _store(recipients: list[str], raw: bytes) -> str:
    """Store the message for each recipient workspace; the SMTP answer. Content never gives
    a permanent failure: a message we cannot store now gets a 4xx, so the sender retries
    instead of bouncing it."""
    close_old_connections()
    stored = []
    for address in recipients:
        destination = mail_destination(address, settings.INBOUND_EMAIL_DOMAIN)
        if destination is None:
            continue
        try:
            result = mail_ingest(
                workspace=destination.workspace, raw=raw, thread=destination.thread
            )
        except InvalidFeedback:  # not even a minimal record: a bug to fix, then the retry lands
            logger.exception("mail to %s not stored; asking the sender to retry", address)
            return "451 4.6.0 Not stored yet, please retry later"
        except Exception:
            logger.exception("mail to %s not stored; asking the sender to retry", address)
            close_old_connections()
            return "451 4.3.0 Not stored yet, please retry later"
        stored.append(result.feedback_id)
    logger.info("stored mail as feedback %s", stored)
    return "250 2.0.0 Received, thank you"


def smtpd_greets(*, host: str, port: int, timeout: float = 10.0) -> bool:
    """Whether a client connecting to ``host:port`` now gets the 220 greeting."""
    target = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)  # noqa: S104
    try:
        with socket.create_connection((target, port), timeout=timeout) as conn:
            greeting = conn.recv(512)
            conn.sendall(b"QUIT\r\n")
    except OSError:
        logger.warning("smtpd on %s:%s does not accept connections", host, port, exc_info=True)
        return False
    return greeting.startswith(b"220")


class FeedbackHandler:
    """aiosmtpd handler: refuse unknown recipients at RCPT, store at DATA before answering."""

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if not await sync_to_async(_accepts, thread_sensitive=True)(address):
            return "550 5.1.1 No such feedback address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        answer: str = await sync_to_async(_store, thread_sensitive=True)(
            list(envelope.rcpt_tos), raw
        )
        return answer


def smtpd_controller(*, host: str, port: int, **kwargs: Any) -> Controller:
    return Controller(
        FeedbackHandler(),
        hostname=host,
        port=port,
        data_size_limit=settings.SMTPD_MAX_MESSAGE_BYTES,
        server_hostname=settings.INBOUND_EMAIL_DOMAIN,
        **kwargs,
    )
