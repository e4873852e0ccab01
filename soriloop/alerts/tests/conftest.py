"""The surveys' real SMTP receiver on loopback, for the digest e-mails."""

from soriloop.surveys.tests.conftest import smtp_sink

__all__ = ["smtp_sink"]
