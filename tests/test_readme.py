"""The README's commands are the ones CI runs."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bash_blocks(text: str) -> list[str]:
    blocks = text.split("```bash\n")[1:]
    return [block.split("```")[0].strip() for block in blocks]


def test_ci_runs_the_readme_test_command_verbatim():
    install_and_start, install_and_test = _bash_blocks((ROOT / "README.md").read_text())[:2]
    ci_script = (ROOT / ".ci" / "run").read_text()
    assert "pytest" in install_and_test
    assert install_and_test in ci_script.splitlines()


def test_readme_starts_the_server_first():
    install_and_start = _bash_blocks((ROOT / "README.md").read_text())[0]
    assert install_and_start.endswith("wsauth server --app-name basic-auth --enable-workspaces")
    assert "pip install -e ." in install_and_start
