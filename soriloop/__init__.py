"""Soriloop: self-hosted customer feedback management for Korean and English customers."""

__version__ = "0.1.0"
