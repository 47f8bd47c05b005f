"""Draw a flow's generated diagrams with mermaid.js in headless Chromium, as a PNG.

    python docs/_mermaid/screenshot.py sign_in docs/screenshots/sign_in.png [HEIGHT [PART]]

The page loads mermaid.js from ``docs/_mermaid/node_modules`` (no network) and draws every
part of the flow (the overview and each phase, or the one diagram of a small flow) under its
heading, at the docs' reading width. For review of the diagrams' readability.
"""

from __future__ import annotations

import html
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cognito_flows.flows._render import mermaid, part_title, parts  # noqa: E402

MERMAID_JS = ROOT / "docs" / "_mermaid" / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
WIDTH = 1000  # about the width of the docs' content column

PAGE = """<!doctype html><html><head><meta charset="utf-8"><script src="{script}"></script>
<style>body{{font-family:sans-serif;width:{width}px;margin:16px}} h2{{font-size:18px}}
.d svg{{max-width:100%;height:auto}}</style></head><body>{body}<script>
mermaid.initialize({{startOnLoad: false, securityLevel: "strict"}});
(async () => {{ for (const el of document.querySelectorAll(".d")) {{
  const {{svg}} = await mermaid.render(el.id + "svg", el.dataset.text); el.innerHTML = svg; }}
  document.title = "done"; }})();
</script></body></html>"""


def page(flow: str, only: str | None = None) -> str:
    """The HTML page with every part of ``flow`` (or just ``only``)."""
    body = []
    for i, part in enumerate(parts(flow)):
        if only and part != only:
            continue
        text = html.escape(mermaid(flow, part=part), quote=True)
        body.append(
            f'<h2>{html.escape(part_title(flow, part))}</h2><div class="d" id="d{i}" '
            f'data-text="{text}"></div>'
        )
    return PAGE.format(script=MERMAID_JS.as_uri(), width=WIDTH, body="".join(body))


def main() -> None:
    flow, out = sys.argv[1], Path(sys.argv[2]).resolve()
    height = int(sys.argv[3]) if len(sys.argv) > 3 else 6000
    only = sys.argv[4] if len(sys.argv) > 4 else None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "page.html"
        path.write_text(page(flow, only), encoding="utf-8")
        subprocess.run(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--disable-dev-shm-usage",
                f"--user-data-dir={tmp}/profile",
                f"--window-size={WIDTH + 32},{height}",
                "--virtual-time-budget=60000",
                f"--screenshot={out}",
                path.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
    print(json.dumps({"png": str(out)}))


if __name__ == "__main__":
    main()
