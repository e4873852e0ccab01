"""The loop's tests share the survey tests' real SMTP receiver on loopback."""

from soriloop.surveys.tests.conftest import smtp_sink

__all__ = ["smtp_sink"]
