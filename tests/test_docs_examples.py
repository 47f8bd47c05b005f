"""Every code block in the hand-written docs (``docs/*.md``, ``docs/flows/*.md``) is run by
this module, or is marked as a fragment.

The marker is an HTML comment on the line before the block (invisible on the site):

* ``<!-- fragment -->`` or ``<!-- fragment: why -->``: a part of a program (it uses a
  ``pool`` the page has not made, awaits at top level, needs AWS...), not run;
* ``<!-- run: script -->``: a whole program, run as ``python block.py`` in an empty
  directory; it must exit 0;
* ``<!-- run: project PATH -->``: the file ``PATH`` of a user's project. The page's blocks
  make up one project, which is run as its owner would run it: ``python -m pytest`` in a
  fresh directory with its own ``pyproject.toml``, so pytest's and pytest-asyncio's
  settings are the page's, not this repository's.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted([*DOCS.glob("*.md"), *(DOCS / "flows").glob("*.md")])

_BLOCK = re.compile(
    r"^(?:<!--\s*(?P<marker>[^>]*?)\s*-->[ \t]*\n)?```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^```",
    re.M | re.S,
)


@attrs.frozen
class Block:
    page: Path
    line: int
    lang: str
    marker: str
    body: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    return [
        Block(
            page,
            text.count("\n", 0, m.start("lang")) + 1,
            m["lang"],
            (m["marker"] or "").strip(),
            m["body"],
        )
        for m in _BLOCK.finditer(text)
    ]


ALL = [b for page in PAGES for b in blocks(page)]
_KNOWN = re.compile(r"^(fragment(:.*)?|run: script|run: project [\w./-]+)$")


def test_every_code_block_is_run_or_marked_as_a_fragment() -> None:
    assert len(ALL) >= 20  # the scan finds the blocks
    unmarked = [b.where for b in ALL if not _KNOWN.match(b.marker)]
    assert not unmarked, (
        "code blocks neither run by tests/test_docs_examples.py nor marked "
        f"<!-- fragment -->: {unmarked}"
    )


def test_the_scan_sees_markers_and_unmarked_blocks(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text("<!-- fragment -->\n```python\nx\n```\n\ntext\n```bash\ny\n```\n")
    found = blocks(page)
    assert [(b.marker, b.lang, b.body) for b in found] == [
        ("fragment", "python", "x\n"),
        ("", "bash", "y\n"),
    ]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # The project imports this tree's package (as the CI's editable install does).
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("PYTEST_ADDOPTS", None)  # the user's project has its own settings
    env.pop("PYTEST_XDIST_WORKER", None)
    return env


SCRIPTS = [b for b in ALL if b.marker == "run: script"]


@pytest.mark.parametrize("block", SCRIPTS, ids=[b.where for b in SCRIPTS])
def test_script_blocks_run(block: Block, tmp_path: Path) -> None:
    (tmp_path / "example.py").write_text(block.body, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "example.py"],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"{block.where}:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"


PROJECTS = sorted({b.page for b in ALL if b.marker.startswith("run: project ")})


@pytest.mark.parametrize("page", PROJECTS, ids=[p.name for p in PROJECTS])
def test_project_pages_run_as_a_users_project(page: Path, tmp_path: Path) -> None:
    files = [b for b in blocks(page) if b.marker.startswith("run: project ")]
    names = [b.marker.split(" ", 2)[2] for b in files]
    assert "pyproject.toml" in names, f"{page.name}: the project's settings must be shown"
    for name, block in zip(names, files, strict=True):
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(block.body, encoding="utf-8")
    tests = [n for n in names if Path(n).name.startswith("test_")]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = done.stdout[-6000:] + done.stderr[-3000:]
    assert done.returncode == 0, f"{page.name}'s project failed:\n{report}"
    # Every test the page shows ran and passed (none skipped, none left uncollected).
    shown = sum(
        len(re.findall(r"^(?:async )?def test_", (tmp_path / n).read_text(), re.M)) for n in tests
    )
    assert re.search(rf"\b{shown} passed\b", done.stdout), report
    assert "skipped" not in done.stdout, report
    assert not _own_warnings(done.stdout), report


def _own_warnings(output: str) -> list[str]:
    """The locations in pytest's warnings summary that are not a third party's own code.

    A plugin installed beside the project can warn at import (on Python 3.10, anyio 4.14's
    pytest plugin imports pytest 9's deprecated ``CallSpec2``): that is no fault of the page.
    A warning raised by the page's code, by its tests or by ``cognito_flows`` (its pytest
    plugin included) is.
    """
    if "warnings summary" not in output:
        return []
    summary = output.split("warnings summary", 1)[1].split("-- Docs:", 1)[0]
    locations = [line for line in summary.splitlines()[1:] if line and not line[0].isspace()]
    return [
        where
        for where in locations
        if "site-packages" not in where or "cognito_flows" in where or "cognito_local" in where
    ]


def test_own_warnings_tells_a_third_partys_import_warning_from_ours() -> None:
    third_party = (
        "=== warnings summary ===\n"
        "../venv/lib/python3.10/site-packages/anyio/pytest_plugin.py:14\n"
        "  ...: PytestRemovedIn10Warning: _pytest.python.CallSpec2 has been renamed\n"
        "\n-- Docs: https://docs.pytest.org/en/stable/how-to/capture-warnings.html\n"
        "3 passed, 1 warning in 8.12s\n"
    )
    assert _own_warnings(third_party) == []
    assert _own_warnings("3 passed in 1.00s\n") == []
    ours = third_party.replace(
        "../venv/lib/python3.10/site-packages/anyio/pytest_plugin.py:14", "test_login.py::test_x"
    )
    assert _own_warnings(ours) == ["test_login.py::test_x"]
