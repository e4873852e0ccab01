"""The interface is complete in Korean: every message of the catalogue is translated."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from soriloop.settings import BASE_DIR

PO = BASE_DIR / "locale" / "ko" / "LC_MESSAGES" / "django.po"


@pytest.mark.skipif(
    shutil.which("msgfmt") is None, reason="gettext is installed by scripts/setup.sh"
)
def test_every_korean_message_is_translated(tmp_path: Path) -> None:
    result = subprocess.run(
        ["msgfmt", "--check-format", "--statistics", "-o", str(tmp_path / "ko.mo"), str(PO)],
        capture_output=True,
        text=True,
        check=True,
    )
    stats = result.stderr.strip()
    assert re.fullmatch(r"\d+ translated messages\.", stats), stats


def test_the_catalogue_covers_the_templates() -> None:
    """Every {% translate "..." %} literal in the templates has an entry in the catalogue."""
    blocks = re.findall(r'^msgid ((?:".*"\n)+)', PO.read_text(encoding="utf-8"), re.M)
    msgids = {"".join(json.loads(line) for line in block.splitlines()) for block in blocks}
    missing = []
    for template in (BASE_DIR / "soriloop").rglob("*.html"):
        for text in re.findall(r'{% translate "([^"]+)" %}', template.read_text(encoding="utf-8")):
            # makemessages writes a literal % of a template as %%
            if text not in msgids and text.replace("%", "%%") not in msgids:
                missing.append((template.name, text))
    assert missing == []
