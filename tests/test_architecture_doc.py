"""docs/architecture.md stays true: every file it names exists, and every `module.name` it names
in code spans is defined there."""

import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXT = (ROOT / "docs" / "architecture.md").read_text()


def test_every_file_it_names_exists():
    named = set(re.findall(r"`((?:auth|tracking|tools|tests)/[\w/]+\.(?:py|toml|md))`", TEXT))
    assert named, "the document names no files?"
    assert sorted(p for p in named if not (ROOT / p).exists()) == []


def test_every_function_it_names_exists():
    pairs = re.findall(r"`((?:auth|tracking)/[\w/]+)\.py` `(\w+)(?:\.(\w+))?", TEXT)
    assert pairs
    for path, name, attribute in pairs:
        module = importlib.import_module(path.replace("/", "."))
        assert hasattr(module, name), (path, name)
        if attribute:
            assert hasattr(getattr(module, name), attribute) or attribute in getattr(module, name).__init__.__code__.co_names, (path, name, attribute)


def test_the_host_contract_it_lists_is_the_protocol():
    from tracking.hostapi import Host

    section = TEXT.split("## The Host contract", 1)[1].split("\n## ", 1)[0]
    called = set(re.findall(r"`(\w+)\(", section))
    named = set(re.findall(r"`(\w+)[`(]", section))
    members = {name for name in vars(Host) if not name.startswith("_")} | set(Host.__annotations__)
    assert called <= members, "documented as the host's, not in the protocol"
    assert members <= named, "in the protocol, not documented"


def test_the_module_spans_it_names_exist():
    for module, name in re.findall(r"`(hostapi|hostkit)\.(\w+)", TEXT):
        assert hasattr(importlib.import_module(f"tracking.{module}"), name), (module, name)
