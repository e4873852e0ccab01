"""Sample feedback for the demo workspace: varied Korean and English texts, every channel, months.

Texts are composed from the parts in ``demo_texts`` (topic x kind frames, objects, openers and
closers) by a seeded generator, so the demo is the same on every machine and every run.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from zoneinfo import ZoneInfo

from django.utils import timezone

from soriloop.accounts.models import Workspace
from soriloop.feedback import demo_texts as parts
from soriloop.feedback.services import channel_settings_get, feedback_ingest
from soriloop.feedback.validation import FeedbackInput, parse_feedback

CHANNELS = ["api", "widget", "hosted", "email", "review", "phone", "chat", "import"]
COUNT = 480
DAYS = 180
CUSTOMERS = 60
_PARTICLE = re.compile(r"(.)\{(이|은|을|과)/(가|는|를|와)\}")
_SLOT = re.compile(r"\{(obj|item|n|m|won|usd|time)\}")


def _particle(match: re.Match[str]) -> str:
    """The particle the syllable before it takes: 이/은/을/과 after a final consonant."""
    before, with_final, without = match.groups()
    code = ord(before) - 0xAC00
    has_final = 0 <= code < 11172 and code % 28 != 0
    return before + (with_final if has_final else without)


def _fill(frame: str, *, lang: str, obj: str, rng: random.Random) -> str:
    values = {
        "obj": obj,
        "item": rng.choice(parts.ITEMS[lang]),
        "n": str(rng.randint(2, 14)),
        "m": str(rng.choice([10, 15, 20, 25, 30, 40, 45, 50, 60, 90])),
        "won": f"{rng.randint(2, 30) * 1000:,}",
        "usd": str(rng.randint(3, 40)),
        "time": rng.choice(parts.TIMES[lang]),
    }
    # Twice: an object may itself hold a slot ("주문한 {item}").
    for _ in range(2):
        frame = _SLOT.sub(lambda m: values[m.group(1)], frame)
    return _PARTICLE.sub(_particle, frame)


def _core(topic: str, kind: str, lang: str, rng: random.Random) -> str:
    chosen: parts.Parts = getattr(parts.TOPICS[topic], lang)
    frame = rng.choice(getattr(chosen, kind))
    return _fill(frame, lang=lang, obj=rng.choice(chosen.objects), rng=rng)


def demo_text(*, topic: str, kind: str, lang: str, rng: random.Random) -> str:
    """One piece of feedback: opener + core (+ sometimes a second topic) + closer."""
    text = _core(topic, kind, lang, rng)
    if rng.random() < 0.2:
        other = rng.choice([t for t in parts.TOPICS if t != topic])
        text += rng.choice(parts.CONNECTORS[lang]) + _core(other, kind, lang, rng)
    closer = rng.choice(parts.CLOSERS[lang][kind])
    if text.endswith("?") and closer in {".", "?", "!"}:
        closer = ""
    elif closer.startswith(" ") and closer != " ㅠㅠ" and not text.endswith(("?", "!", ".")):
        closer = "." + closer  # a closing sentence after a sentence without its full stop
    opener = rng.choice(parts.OPENERS[lang][kind])
    if not opener or opener.endswith(("! ", ". ")):
        text = text[0].upper() + text[1:]
    return opener + text + closer


def _score(kind: str, rng: random.Random) -> dict[str, object]:
    """A score that agrees with the kind of feedback, or none (about one in four)."""
    score_kind = rng.choice(["stars", "nps", "csat", "stars", None])
    if score_kind is None or (kind == "question" and rng.random() < 0.7):
        return {}
    low, high = {"praise": (4, 5), "complaint": (1, 2), "question": (3, 4), "suggestion": (3, 4)}[
        kind
    ]
    stars = rng.randint(low, high)
    if score_kind == "nps":
        nps = {1: 1, 2: 4, 3: 6, 4: 8, 5: 10}[stars] - rng.choice([0, 0, 1])
        return {"score": max(0, nps), "score_kind": "nps"}
    return {"score": stars, "score_kind": score_kind}


def _customers(rng: random.Random) -> list[tuple[str, str]]:
    """(name, language) of the demo's regular customers."""
    people = []
    for _ in range(CUSTOMERS):
        if rng.random() < 0.7:
            people.append((rng.choice(parts.SURNAMES) + rng.choice(parts.GIVEN), "ko"))
        else:
            people.append((f"{rng.choice(parts.EN_FIRST)} {rng.choice(parts.EN_LAST)}", "en"))
    return people


def demo_records(*, now: dt.datetime) -> list[dict[str, object]]:
    """The demo's records as API-shaped dicts: distinct texts, the same for the same ``now``."""
    rng = random.Random(20261122)  # noqa: S311 - the same demo every time, not a secret
    people = _customers(rng)
    seen: set[str] = set()
    records: list[dict[str, object]] = []
    while len(records) < COUNT:
        number = rng.randrange(CUSTOMERS)
        name, lang = people[number]
        topic = rng.choice(list(parts.TOPICS))
        kind = rng.choices(parts.KINDS, weights=[3, 4, 2, 1])[0]
        text = demo_text(topic=topic, kind=kind, lang=lang, rng=rng)
        if text in seen:
            continue
        seen.add(text)
        received = now - dt.timedelta(days=rng.triangular(0, DAYS, 0), minutes=rng.randint(0, 600))
        records.append(
            {
                "text": text,
                "channel": rng.choice(CHANNELS),
                "source": "demo",
                "external_id": f"demo-{len(records)}",
                "touchpoint": parts.TOPICS[topic].touchpoint,
                "received_at": received,
                "customer": {"external_id": f"demo-customer-{number}", "name": name},
            }
            | _score(kind, rng)
        )
    return records


def _items(workspace: Workspace) -> list[FeedbackInput]:
    tz = ZoneInfo(workspace.timezone)
    now = timezone.now()
    return [
        parse_feedback(data, channel=str(data["channel"]), tz=tz, now=now)
        for data in demo_records(now=now)
    ]


def demo_feedback_load(*, workspace: Workspace) -> int:
    """Load the sample feedback once (later runs find it as duplicates); returns how many new."""
    channel_settings_get(workspace=workspace)
    results = feedback_ingest(workspace=workspace, items=_items(workspace))
    return sum(1 for r in results if r.status == "created")
