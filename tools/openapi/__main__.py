"""`python -m tools.openapi` writes tracking/openapi.json; `--check` only says whether it is current."""

from __future__ import annotations

import sys

from tools.openapi import DOCUMENT, render


def main(argv: list[str]) -> int:
    """Write (or check) the shipped document."""
    text = render()
    if "--check" in argv:
        current = DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.exists() else ""
        if current != text:
            print(f"{DOCUMENT} is out of date; run: python -m tools.openapi", file=sys.stderr)
            return 1
        return 0
    DOCUMENT.write_text(text, encoding="utf-8")
    print(f"wrote {DOCUMENT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
