"""The Markdown pages' links: every relative link names a file of the repository, and every
``#anchor`` a heading of its page (GitHub's rule). Moving the measurement logs of docs/jumps.md and
docs/tabular.md into docs/studies/ broke four anchors that pointed into them, and one anchor of
benchmarks/README.md had never matched its heading."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [
    ROOT / "README.md",
    ROOT / "benchmarks" / "README.md",
    *sorted((ROOT / "docs").rglob("*.md")),
]
LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces made hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text())
    return {anchor(m.group(1)) for m in re.finditer(r"^#+\s+(.*)$", text, re.M)}


def test_the_anchor_rule_on_headings_with_code_and_punctuation():
    assert anchor("Grids fitted to the model (`--grid fitted`)") == (
        "grids-fitted-to-the-model---grid-fitted"
    )
    assert anchor("Iris's measurements as `real`") == "iriss-measurements-as-real"
    assert anchor("Oracle tests (exact ratios, MATH.md §9)") == "oracle-tests-exact-ratios-mathmd-9"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(page):
    broken = []
    for match in LINK.finditer(FENCE.sub("", page.read_text())):
        link = match.group(1)
        if link.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, fragment = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        if not target.exists():
            broken.append(f"{link} (no such file)")
        elif fragment and target.suffix == ".md" and fragment not in anchors(target):
            broken.append(f"{link} (no such heading)")
    assert not broken, broken
