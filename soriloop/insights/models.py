"""Rollups: per workspace x day x dimensions, the sums every metric is computed from.

Dashboards read these, never the raw records. A change to records marks their day dirty
(``DirtyDay``); the worker recounts each dirty day from the records (``rollups.py``).
"""

from __future__ import annotations

from django.db import models

# The measures a rollup row sums, in the order ``rollups.py`` and ``metrics.py`` use them.
MEASURES = (
    "n",  # records
    "texts",  # records with text
    "positive",
    "neutral",
    "negative",
    "nps_n",
    "nps_promoters",
    "nps_detractors",
    "csat_n",
    "csat_sum",
    "csat_satisfied",
    "ces_n",
    "ces_sum",
    "ces_sq",
    "ces_easy",
    "stars_n",
    "stars_sum",
)

# Rows of a day come in three facets: "" counts each record once; "topic" once per topic
# (or "unassigned"); "type" once per feedback type (or "none").
FACETS = ("", "topic", "type")

# Rows come in levels, so that a dashboard query reads as few rows as its filter allows.
# The number of rows a day grows with the number of distinct values, not with the records:
# - TOTAL: facet x sentiment (all facets): the unfiltered dashboard, a year at a glance;
# - COARSE: facet x channel x sentiment (all facets): a channel filter or breakdown;
# - a slice per wide dimension (source, touchpoint, language, segment): facet x that
#   dimension x sentiment, other columns "": one such dimension, any facet, no channel;
# - FINE: every dimension at once, facet "" only: several wide dimensions, or one with channel.
# Anything else (a wide dimension with topic or type and channel) is counted from the records.
FINE, COARSE = 0, 1
WIDE = ("source", "touchpoint", "language", "segment")
SLICES = {name: 2 + i for i, name in enumerate(WIDE)}  # level of each dimension's slice
TOTAL = 6
LEVELS = (FINE, COARSE, *SLICES.values(), TOTAL)


class Rollup(models.Model):
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()
    level = models.SmallIntegerField(default=FINE)
    facet = models.CharField(max_length=8, blank=True, default="")
    value = models.CharField(max_length=60, blank=True, default="")
    channel = models.CharField(max_length=16)
    source = models.CharField(max_length=120, blank=True, default="")
    touchpoint = models.CharField(max_length=120, blank=True, default="")
    language = models.CharField(max_length=8, blank=True, default="")
    segment = models.CharField(max_length=60, blank=True, default="")
    sentiment = models.CharField(max_length=8, blank=True, default="")
    n = models.IntegerField(default=0)
    texts = models.IntegerField(default=0)
    positive = models.IntegerField(default=0)
    neutral = models.IntegerField(default=0)
    negative = models.IntegerField(default=0)
    nps_n = models.IntegerField(default=0)
    nps_promoters = models.IntegerField(default=0)
    nps_detractors = models.IntegerField(default=0)
    csat_n = models.IntegerField(default=0)
    csat_sum = models.FloatField(default=0)
    csat_satisfied = models.IntegerField(default=0)
    ces_n = models.IntegerField(default=0)
    ces_sum = models.FloatField(default=0)
    ces_sq = models.FloatField(default=0)
    ces_easy = models.IntegerField(default=0)
    stars_n = models.IntegerField(default=0)
    stars_sum = models.FloatField(default=0)

    class Meta:
        indexes = [
            # Every dashboard query: one workspace, one level, one facet, a day range.
            models.Index(fields=["workspace", "level", "facet", "day"], name="rollup_lookup"),
        ]

    def __str__(self) -> str:
        return f"rollup {self.workspace_id} {self.day} {self.facet}={self.value}"


class DirtyDay(models.Model):
    """A mark: this (workspace, day) must be recounted. An append-only log drained by id, so
    writers never wait on one another's marks."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()

    def __str__(self) -> str:
        return f"dirty {self.workspace_id} {self.day}"


# Facets of the hourly rows: "" every record once, "topic" once per topic key, "keyword"
# once per analysis keyword (lower-cased).
HOUR_FACETS = ("", "topic", "keyword")


class HourRollup(models.Model):
    """Per workspace x UTC hour x facet value: records, analysed records and negative ones.

    What alert rules over short windows read (a topic's negative share in the last hour, a
    keyword's volume); recounted with the record's day by ``rollups.recount_day``.
    """

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()  # the records' day, so a day's recount replaces its hours
    hour = models.DateTimeField()  # the start of the UTC hour the records were received in
    facet = models.CharField(max_length=8, blank=True, default="")
    value = models.CharField(max_length=100, blank=True, default="")
    n = models.IntegerField(default=0)
    analysed = models.IntegerField(default=0)
    negative = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "facet", "value", "hour"], name="hour_rollup_lookup"),
            models.Index(fields=["workspace", "day"], name="hour_rollup_day"),
        ]

    def __str__(self) -> str:
        return f"hour rollup {self.workspace_id} {self.hour} {self.facet}={self.value}"
