"""Every basic_auth.ini example in the docs loads as written: a reader who copies one gets a
server that starts (configparser keeps a `# comment` after a value as part of the value, so
comments must stand on lines of their own)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from auth.config import KEYS, load

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"^```ini\n(.*?)^```", re.MULTILINE | re.DOTALL)
EXAMPLES = [(path.relative_to(ROOT).as_posix(), number, block)
            for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
            for number, block in enumerate(BLOCK.findall(path.read_text()))
            if block.lstrip().startswith("[mlflow]")]


def test_the_docs_have_ini_examples():
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("doc, number, block", EXAMPLES, ids=[f"{d}#{n}" for d, n, _ in EXAMPLES])
def test_each_ini_example_loads(tmp_path, doc, number, block):
    """An excerpt that leaves out a required key is completed with one, as a reader would."""
    sample = {"default_permission": "READ", "database_uri": f"sqlite:///{tmp_path / 'auth.db'}",
              "admin_username": "admin"}
    present = set(re.findall(r"^(\w+)\s*=", block, re.MULTILINE))
    missing = [f"{key} = {sample[key]}\n" for key in KEYS if KEYS[key].default is None and key not in present]
    path = tmp_path / "basic_auth.ini"
    path.write_text(block + "".join(missing))
    load(path, environ={})
