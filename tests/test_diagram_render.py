"""The generated flow diagrams are Mermaid that Mermaid itself accepts and draws.

Each flow's diagram (``cognito_flows.flows._render.mermaid``, what the docs and ``cognito-flows
diagram`` show) is rendered by mermaid.js, the major version mkdocs-material loads, in
headless Chromium, from a local file page: no network. The SVG must have a node for every
state of the table and no "Syntax error".

Needs Debian's ``chromium`` and ``npm ci`` in ``docs/_mermaid`` (mermaid.js). Skipped with the
reason when either is missing, unless ``CF_REQUIRE_BROWSER=1`` (then it fails).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cognito_flows.flows import _render as docs_gen

ROOT = Path(__file__).resolve().parent.parent
MERMAID_JS = ROOT / "docs" / "_mermaid" / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><script src="{script}"></script></head>
<body><pre id="result">pending</pre><div id="work"></div>
<script>
const diagrams = {diagrams};
(async () => {{
  const results = {{}};
  try {{
    mermaid.initialize({{startOnLoad: false, securityLevel: "strict"}});
  }} catch (e) {{
    document.getElementById("result").textContent = JSON.stringify({{fatal: String(e)}});
    return;
  }}
  let i = 0;
  for (const [name, text] of Object.entries(diagrams)) {{
    i += 1;
    const result = {{ok: false, error: null, states: [], syntaxError: false, width: 0}};
    try {{
      const {{svg}} = await mermaid.render("d" + i, text);
      const holder = document.getElementById("work");
      holder.innerHTML = svg;
      const root = holder.querySelector("svg");
      for (const node of root.querySelectorAll("g.node")) {{
        const m = /^d\\d+-state-(.+)-\\d+$/.exec(node.id);
        if (m) result.states.push(m[1]);
      }}
      result.syntaxError = /Syntax error/i.test(svg);
      result.width = (root.viewBox && root.viewBox.baseVal) ? root.viewBox.baseVal.width : 0;
      result.ok = true;
    }} catch (e) {{
      result.error = String(e && e.message ? e.message : e);
    }}
    results[name] = result;
  }}
  document.getElementById("result").textContent = JSON.stringify(results);
}})();
</script></body></html>
"""


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _require() -> str:
    """The Chromium binary; skip (or fail under CF_REQUIRE_BROWSER=1) when something lacks."""
    chromium = _chromium()
    missing = []
    if chromium is None:
        missing.append("chromium (apt-get install chromium)")
    if not MERMAID_JS.is_file():
        missing.append("mermaid.js (cd docs/_mermaid && npm ci)")
    if missing:
        reason = "needs " + " and ".join(missing)
        if os.environ.get("CF_REQUIRE_BROWSER") == "1":
            pytest.fail(f"CF_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    assert chromium is not None
    return chromium


def _render(chromium: str, diagrams: dict[str, str], tmp_path: Path) -> dict[str, Any]:
    page = tmp_path / "render.html"
    page.write_text(
        PAGE.format(script=MERMAID_JS.as_uri(), diagrams=json.dumps(diagrams)), encoding="utf-8"
    )
    command = [
        chromium,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=60000",
        "--dump-dom",
        page.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    match = re.search(r'<pre id="result">(.*?)</pre>', done.stdout, re.S)
    assert match, f"chromium printed no result (exit {done.returncode}): {done.stderr[-2000:]}"
    text = html.unescape(match.group(1))
    assert text != "pending", "mermaid.js did not finish rendering"
    results: dict[str, Any] = json.loads(text)
    assert "fatal" not in results, results
    return results


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every flow's generated diagram, rendered once for the module."""
    chromium = _require()
    diagrams = {name: docs_gen.mermaid(name) for name in docs_gen.flow_tables()}
    # Every part a flow is drawn in (the overview and each phase of the sign-in).
    for name in docs_gen.flow_tables():
        for part in docs_gen.parts(name):
            diagrams[f"{name}/{part}"] = docs_gen.mermaid(name, part=part)
    return _render(chromium, diagrams, tmp_path_factory.mktemp("mermaid"))


@pytest.mark.parametrize("flow", list(docs_gen.flow_tables()))
def test_generated_diagram_renders_with_a_node_per_state(
    rendered: dict[str, Any], flow: str
) -> None:
    result = rendered[flow]
    assert result["ok"], f"mermaid refused the {flow} diagram: {result['error']}"
    assert not result["syntaxError"]
    table = docs_gen.flow_tables()[flow]
    missing = set(table.states) - set(result["states"])
    assert not missing, f"no SVG node for {sorted(missing)}"


@pytest.mark.parametrize(
    "flow_part",
    [f"{name}/{part}" for name in docs_gen.flow_tables() for part in docs_gen.parts(name)],
)
def test_every_part_renders_with_a_node_per_state_of_its_phase(
    rendered: dict[str, Any], flow_part: str
) -> None:
    flow, part = flow_part.split("/", 1)
    result = rendered[flow_part]
    assert result["ok"], f"mermaid refused {flow_part}: {result['error']}"
    assert not result["syntaxError"]
    table = docs_gen.flow_tables()[flow]
    if part == "full":
        expected = set(table.states)
    elif part == "overview":
        expected = {
            "phase_" + re.sub(r"\W+", "_", n).strip("_").lower() for n, _ in docs_gen.phases(flow)
        }
    else:
        expected = set(dict(docs_gen.phases(flow))[part])
    missing = expected - set(result["states"])
    assert not missing, f"{flow_part}: no SVG node for {sorted(missing)}"


def test_sign_in_is_drawn_in_parts_narrower_than_the_whole(rendered: dict[str, Any]) -> None:
    """The sign-in hub is split: its overview is much narrower than the one diagram, and
    every state of the table has a node in the diagram of exactly one phase."""
    parts = docs_gen.parts("sign_in")
    assert parts[0] == "overview" and len(parts) >= 4
    owners: dict[str, list[str]] = {}
    for part in parts[1:]:
        for state in dict(docs_gen.phases("sign_in"))[part]:
            owners.setdefault(state, []).append(part)
    table = docs_gen.flow_tables()["sign_in"]
    drawn = {s for s in table.states if s not in table.final}
    assert {s for s, o in owners.items() if len(o) == 1} >= drawn
    full = docs_gen.mermaid("sign_in")
    for part in parts:
        assert docs_gen.mermaid("sign_in", part=part).count("-->") < full.count("-->") / 2, part


def test_broken_mermaid_is_reported(tmp_path: Path) -> None:
    """The harness itself notices a diagram Mermaid cannot parse."""
    chromium = _require()
    results = _render(chromium, {"broken": "stateDiagram-v2\n    A --> : -->\n"}, tmp_path)
    assert not results["broken"]["ok"]
    assert results["broken"]["error"]
