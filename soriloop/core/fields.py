"""One exception shape for "these fields are wrong, and why", shared by every validator."""

from __future__ import annotations


class FieldErrors(ValueError):
    """Each field's reasons, e.g. ``{"score": ["must be between 0 and 10 for nps"]}``."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in fields.items()))
        self.fields = fields
