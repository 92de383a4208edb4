"""The classic XSS payloads, in every text a user can write through the API (every string
field of a post-mortem the schema lists, its timeline and action items, tags, comments, the
incident, a template), then every page that shows them loaded in Chromium: nothing runs (no
dialog, no `window.__xss`), and no element carries an event handler or a script URL."""

import json

import pytest

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<script>alert(1)</script>",
    "<script>window.__xss=1</script>",
    "<img src=x onerror=alert(1)>",
    '<img src=x onerror="window.__xss=1">',
    "<svg onload=alert(1)>",
    "<svg><script>window.__xss=1</script></svg>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '" onmouseover="alert(1)" x="',
    "' autofocus onfocus='window.__xss=1' x='",
    '" autofocus onfocus="window.__xss=1" x="',
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<a href="javascript:alert(1)">a</a>',
    "[link](javascript:alert(1))",
    "[link](JaVaScRiPt:alert(1))",
    "[link](javascript&#58;alert(1))",
    "![image](javascript:alert(1))",
    '![image](x" onerror="alert(1))',
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;img src=x onerror=alert(1)&#62;",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    "<div style=\"background:url('javascript:alert(1)')\">d</div>",
    "{{ 7|add:7 }}{% now 'Y' %}<script>alert(1)</script>",
    '<a href="  javascript:alert(1)">a</a>',
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "javascript:alert(1)",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    "`<img src=x onerror=alert(1)>`",
    "[x]: javascript:alert(1)\n\n[ref link][x]",
]

# Fields the schema cannot tell apart from free text, but which accept only a shape.
SHAPED = {
    "time": "14:35",
    "id": None,  # ids are the server's (or name existing rows)
    "trackerUrl": 'https://example.com/issue/1"><img src=x onerror=alert(1)>',
    "url": 'https://example.com/"><svg onload=alert(1)>',
    "incidentId": None,
    "template": None,
    "status": None,
}

SENTINEL = """
window.__xss = undefined;
"""

# Event handlers or script URLs anywhere in the page are what a payload would need.
DOM_CHECK = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const value = attr.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
      if (attr.name.startsWith('on')) bad.push(el.tagName + ' ' + attr.name);
      if (['href', 'src', 'action', 'formaction', 'data', 'xlink:href'].includes(attr.name)
          && (value.startsWith('javascript:') || value.startsWith('data:text/html')))
        bad.push(el.tagName + ' ' + attr.name + '=' + attr.value);
    }
  }
  return bad;
}"""


def chunks(limit: int | None, start: int, sep: str) -> str:
    """As many payloads as fit in LIMIT characters, from START on round the list."""
    taken, size = [], 0
    for n in range(len(PAYLOADS)):
        payload = PAYLOADS[(start + n) % len(PAYLOADS)]
        if limit is not None and size + len(payload) + len(sep) > limit:
            break
        taken.append(payload)
        size += len(payload) + len(sep)
    return sep.join(taken) or PAYLOADS[start % len(PAYLOADS)][:limit]


class Filler:
    """Every text field of a schema filled with payloads, a different start for each."""

    def __init__(self, schema: dict, reverse: bool):
        self.schema = schema
        self.start = 0
        self.step = -7 if reverse else 7

    def resolve(self, node: dict) -> dict:
        while "$ref" in node:
            node = self.schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
        for key in ("anyOf", "oneOf"):
            if key in node:
                branches = [self.resolve(b) for b in node[key] if b.get("type") != "null"]
                return branches[0] if branches else {}
        return node

    def fill(self, node: dict, name: str = ""):
        if name in SHAPED:
            return SHAPED[name]
        node = self.resolve(node)
        kind = node.get("type")
        if kind == "object":
            out = {}
            for key, prop in node.get("properties", {}).items():
                value = self.fill(prop, key)
                if value is not None:
                    out[key] = value
            return out
        if kind == "array":
            item = self.fill(node.get("items", {}), name)
            return None if item is None else [item, self.fill(node.get("items", {}), name)]
        if kind == "string" and not {"enum", "format", "pattern"} & set(node):
            self.start += self.step
            limit = node.get("maxLength")
            return chunks(limit, self.start, "\n\n" if limit is None or limit > 4000 else " ")
        return None


def create_body(schema: dict, name: str, reverse: bool) -> dict:
    return Filler(schema, reverse).fill({"$ref": f"#/components/schemas/{name}"})


def test_no_payload_runs_on_any_page(site):
    status, _, schema = site.server.request("GET", "/api/openapi.json")
    assert status == 200
    reports = []
    for reverse in (False, True):
        incident = create_body(schema, "IncidentCreate", reverse)
        incident.pop("id", None)
        incident.pop("links", None)
        for key in ("startedAt", "detectedAt"):
            incident.pop(key, None)
        incident_id = site.api("POST", "/api/incidents", "alice", incident)["id"]
        body = create_body(schema, "PostMortemCreate", reverse)
        body.update(incidentId=incident_id, status="IN_REVIEW", contributors=["bob"])
        # A tag holds no comma and no line break.
        tags = PAYLOADS[1 if reverse else 0 :: 2]
        body["tags"] = [p.replace(",", " ").replace("\n", " ")[:100] for p in tags]
        pm = site.api("POST", "/api/postmortems", "alice", body)
        for payload in (PAYLOADS if not reverse else PAYLOADS[::-1])[:10]:
            site.api("POST", f"/api/postmortems/{pm['id']}/comments", "bob", {"body": payload})
        reports.append((pm["id"], incident_id))
    template = create_body(schema, "TemplateCreate", False)
    # Its prompts are shown as hints on the editor of a report made from it.
    hints = {
        "summary": chunks(None, 3, "\n\n"),
        "whatHappened": {"whatBroke": chunks(None, 1, " ")},
        "contributingFactors": [{"factor": chunks(300, n, " ")} for n in range(3)],
    }
    template.update(slug="xss-payloads", body={"tags": ["xss"]}, hints=hints)
    site.api("POST", "/api/templates", "alice", template)
    incident_id = site.incident("From the payload template")
    guided = {"incidentId": incident_id, "title": "Guided", "template": "xss-payloads"}
    reports.append((site.api("POST", "/api/postmortems", "alice", guided)["id"], incident_id))

    pages = ["/", "/postmortems", "/postmortems?q=script", "/action-items", "/incidents"]
    pages.append("/postmortems/new")
    for pm_id, incident_id in reports:
        pages += [
            f"/postmortems/{pm_id}",
            f"/postmortems/{pm_id}/edit",
            f"/postmortems/{pm_id}/history",
            f"/incidents/{incident_id}",
            f"/api/postmortems/{pm_id}/export?format=html",
        ]

    # Without the Content-Security-Policy, which would stop most payloads on its own: what
    # is checked here is that the pages never write a payload out as live markup.
    page = site.page("alice", bypass_csp=True)
    page.add_init_script(SENTINEL)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    # The checks catch a payload that runs (so a pass below means something).
    page.set_content('<img src=x onerror="window.__xss=1">')
    page.wait_for_function("window.__xss === 1")
    assert page.evaluate(DOM_CHECK) == ["IMG onerror"]
    page.evaluate("window.__xss = undefined")
    problems = []
    shown = 0
    for path in pages:
        if "export" in path:
            # An export is a download; show its HTML as a page, as a browser would open it.
            html = page.request.get(path).text()
            page.set_content(html)
        else:
            page.goto(path)
        page.wait_for_load_state("load")
        page.wait_for_timeout(100)  # let autofocus, onload and timers fire
        shown += page.evaluate("document.body.innerText.split('onerror').length - 1")
        executed = page.evaluate("window.__xss")
        bad = page.evaluate(DOM_CHECK)
        if executed is not None or dialogs or bad:
            problems.append(f"{path}: ran {executed!r}, dialogs {dialogs}, elements {bad[:5]}")
            dialogs.clear()
    page.context.close()
    assert not problems, json.dumps(problems, indent=1)
    assert shown > 50, "the payloads were not shown as text"
