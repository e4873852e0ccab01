"""A workspace's topic taxonomy: the starter set when the workspace is created, edited by
people, compiled for the engine (cached per process until the taxonomy changes)."""

from __future__ import annotations

from pathlib import Path

from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language

from soriloop.accounts.models import Membership, Workspace
from soriloop.accounts.permissions import Action, require
from soriloop.accounts.services import audit_record
from soriloop.analysis.engine.embed import ENCODER, Encoder
from soriloop.analysis.engine.lang import detect_language
from soriloop.analysis.engine.pipeline import tokens_for
from soriloop.analysis.engine.topics import (
    CompiledTopic,
    TopicSpec,
    compile_topics,
    load_lessons,
    taught,
)
from soriloop.analysis.models import Topic, WorkspaceModel
from soriloop.analysis.starter import STARTER_TOPICS

# by workspace, adapted, and the encoder's id when compiled with meaning (0 without); each
# entry holds its encoder, so that id cannot go to another encoder while the entry is kept
_compiled: dict[tuple[int, bool, int], tuple[object, Encoder, list[CompiledTopic]]] = {}


def topics_seed(*, workspace: Workspace) -> None:
    """Give a workspace just created the starter taxonomy (a step of ``workspace_create``,
    registered in ``AnalysisConfig.ready``; migration 0007 did it for older workspaces)."""
    Topic.objects.bulk_create([Topic(workspace=workspace, **topic) for topic in STARTER_TOPICS])


def topics_of(*, workspace: Workspace) -> list[Topic]:
    """The workspace's topics; reads only (an empty taxonomy stays empty)."""
    return list(Topic.objects.filter(workspace=workspace))


def topic_choices(*, workspace: Workspace) -> list[tuple[str, str]]:
    """(key, name in the page's language) of the workspace's topics, for filter menus."""
    language = (get_language() or "ko")[:2]
    return [(t.key, t.name_in(language)) for t in topics_of(workspace=workspace)]


def lessons_path(workspace_id: int) -> str | None:
    """The file of what corrections taught the workspace's topics, when it has been adapted."""
    path = (
        WorkspaceModel.objects.filter(workspace_id=workspace_id, kind="topics", active=True)
        .order_by("-created_at")
        .values_list("path", flat=True)
        .first()
    )
    return path if path and Path(path).exists() else None


def compiled_topics(
    *,
    workspace: Workspace,
    adapted: bool = True,
    meaning: bool = False,
    encoder: Encoder = ENCODER,
) -> list[CompiledTopic]:
    """The active topics ready for ``assign_topics``, moved by what the workspace's corrections
    taught them unless ``adapted`` is false, with their embedding centroids by ``encoder``
    when ``meaning``; recompiled only after an edit or an adaptation."""
    topics = [t for t in topics_of(workspace=workspace) if t.active]
    lessons = lessons_path(workspace.pk) if adapted else None
    stamp = (
        len(topics),
        Topic.objects.filter(workspace=workspace).aggregate(m=Max("updated_at"))["m"],
        lessons,
    )
    key = (workspace.pk, adapted, id(encoder) if meaning else 0)
    cached = _compiled.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[2]
    specs = [
        TopicSpec(t.key, t.key, tuple(t.keywords), tuple(t.examples), (t.name_ko, t.name_en))
        for t in topics
    ]
    tokens = []
    for spec in specs:
        examples = list(spec.examples)
        tokens.append(tokens_for(examples, [detect_language(e).language for e in examples]))
    compiled = compile_topics(specs, tokens, meaning=meaning, encoder=encoder)
    if lessons:
        compiled = taught(compiled, load_lessons(Path(lessons)))
    _compiled[key] = (stamp, encoder, compiled)
    return compiled


def _clean_list(raw: str, *, lines: bool) -> list[str]:
    parts = raw.splitlines() if lines else raw.replace("\n", ",").split(",")
    return list(dict.fromkeys(p.strip() for p in parts if p.strip()))


def topic_save(
    *,
    actor: Membership,
    name_ko: str,
    name_en: str,
    keywords: str,
    examples: str,
    active: bool = True,
    topic: Topic | None = None,
) -> Topic:
    """Create or change a topic (keywords comma-separated, examples one per line)."""
    require(actor, Action.MANAGE_SETTINGS)
    if topic is None:
        base = slugify(name_en) or slugify(name_ko, allow_unicode=True) or "topic"
        key, n = base[:50], 2
        while Topic.objects.filter(workspace=actor.workspace, key=key).exists():
            key, n = f"{base[:45]}-{n}", n + 1
        topic = Topic(workspace=actor.workspace, key=key)
    topic.name_ko = name_ko.strip()
    topic.name_en = name_en.strip()
    topic.keywords = _clean_list(keywords, lines=False)
    topic.examples = _clean_list(examples, lines=True)
    topic.active = active
    topic.updated_at = timezone.now()
    topic.save()
    audit_record(
        workspace=actor.workspace, actor=actor.user, action="topic.saved", target=topic.key
    )
    return topic
