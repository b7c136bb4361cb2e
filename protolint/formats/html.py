"""One self-contained HTML page: findings with their source, the rule catalogue's
explanations, each net drawn per phase and each solver's learning-rate schedule plotted.

The page loads nothing: its CSS, JavaScript and SVG are inline, and a Content Security
Policy (`default-src 'none'`, the one script allowed by its hash) keeps it so. Everything
that comes from a linted file reaches the page through Jinja's autoescaping (element
text, attributes, SVG text) or through `tojson` in a `<script type="application/json">`
block; nothing here builds HTML or JavaScript by concatenating strings.

The model handed to the template is computed here: the source excerpts, the catalogue's
"Why" sections parsed into a small Markdown subset (paragraphs, lists, code blocks,
inline code, bold, italics), the graph layout (a layered, longest-path ranking drawn top
to bottom) and the schedule plot's coordinates.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

import jinja2
from markupsafe import Markup

from protolint import __version__
from protolint.catalogue import pages
from protolint.checks import all_rules
from protolint.findings import Finding, Location
from protolint.schedule import default_points

SEVERITIES = ("error", "warning", "info")
CONTEXT_LINES = 2  # lines of source shown around a finding
MAX_MARKED_LINES = 12  # a longer span shows its first and last lines only
MAX_LAYERS = 400  # layers drawn per phase view
MAX_LABEL = 36  # characters of a name shown in a graph node (the tooltip has all)
SCHEDULE_SAMPLES = 200
DEFAULT_HORIZON = 10000  # iterations plotted when max_iter is not set
MAX_KEY_POINTS = 40
INLINE_WHY = 300  # up to this many findings, each carries its rule's "Why"; beyond, the
# page carries each rule's text once (in its rules section) and the script copies it into
# a finding when its "Why" is opened: 8,000 findings of one rule would otherwise repeat it
# 8,000 times
LOG_RATIO = 100.0  # a plot switches to a log scale when max/min reaches this


# --------------------------------------------------------------------------- templates


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("protolint", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _script() -> tuple[Markup, str]:
    """The page's one script (our own code, no linted data in it) and its CSP hash."""
    text = _environment().get_template("report.js").render()
    if "</" in text:
        raise RuntimeError("report.js must not contain '</'")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return Markup(text), f"'sha256-{digest}'"


def render(result, out, options) -> None:
    script, script_hash = _script()
    page = _environment().get_template("report.html.j2").render(
        report=build(result), script=script, script_hash=script_hash)
    out.write(page)
    if not page.endswith("\n"):
        out.write("\n")


# --------------------------------------------------------------------------- model


def build(result) -> dict:
    """Everything the template shows, computed from a lint Result."""
    findings = list(result.findings)
    documents = list(result.files)
    by_doc: dict[int, list[Finding]] = {}
    known = {id(d) for d in documents}
    for f in findings:
        if id(f.location.doc) not in known:  # a finding in a file not listed: show it too
            known.add(id(f.location.doc))
            documents.append(f.location.doc)
        by_doc.setdefault(id(f.location.doc), []).append(f)
    project = getattr(result, "project", None)
    nets = list(project.nets) if project is not None else []
    solvers = list(project.solvers) if project is not None else []

    ids = _Ids()
    finding_ids: dict[int, str] = {}
    for f in findings:
        finding_ids[id(f)] = ids.next("finding")

    files = []
    for doc in documents:
        doc_findings = sorted(by_doc.get(id(doc), []),
                              key=lambda f: (f.location.start, f.code, f.message))
        counts = Counter(str(f.severity) for f in doc_findings)
        files.append({
            "id": ids.next("file"),
            "display": doc.display,
            "kind": doc.kind,
            "parse_error": _parse_error(doc),
            "counts": {s: counts.get(s, 0) for s in SEVERITIES},
            "total": len(doc_findings),
            "findings": [_finding(f, finding_ids[id(f)]) for f in doc_findings],
            "graphs": [_net(net, doc_findings, finding_ids, ids)
                       for net in nets if net.doc is doc],
            "schedules": [_schedule(s, ids) for s in solvers if s.doc is doc],
        })

    counts = Counter(str(f.severity) for f in findings)
    code_counts = Counter(f.code for f in findings)
    rules = all_rules()
    catalogue = pages()
    return {
        "inline_why": len(findings) <= INLINE_WHY,
        "rules": [{
            "code": code,
            "name": rules[code].name if code in rules else "",
            "title": catalogue[code].title if code in catalogue else code,
            "summary": rules[code].summary if code in rules else "",
            "severity": str(rules[code].severity) if code in rules else "",
            "why": _why(code),
            "count": code_counts[code],
        } for code in sorted(code_counts)],
        "version": __version__,
        "counts": {s: counts.get(s, 0) for s in SEVERITIES},
        "total": len(findings),
        "files": files,
        "codes": [{"code": code, "name": rules[code].name if code in rules else "",
                   "count": code_counts[code]} for code in sorted(code_counts)],
        "errors": list(getattr(result, "errors", [])),
        "net_count": len(nets),
        "solver_count": len(solvers),
    }


class _Ids:
    """Unique, stable element ids (never derived from file content)."""

    def __init__(self):
        self._counts: Counter = Counter()

    def next(self, prefix: str) -> str:
        self._counts[prefix] += 1
        return f"{prefix}-{self._counts[prefix]}"


def _parse_error(doc) -> dict | None:
    error = getattr(doc, "syntax_error", None)
    if error is None:
        return None
    line, column = doc.lines.position(min(error.start, len(doc.text)))
    return {"message": error.message, "line": line, "column": column}


# --------------------------------------------------------------------------- findings


def _finding(f: Finding, element_id: str) -> dict:
    page = pages().get(f.code)
    rule = all_rules().get(f.code)
    return {
        "id": element_id,
        "code": f.code,
        "name": f.name,
        "severity": str(f.severity),
        "rank": int(f.severity),
        "path": f.path,
        "line": f.line,
        "column": f.column,
        "message": code_spans(f.message),
        "fix": code_spans(f.fix or ""),
        "title": page.title if page is not None else f"{f.code} {f.name}",
        "summary": rule.summary if rule is not None else "",
        "why": _why(f.code),
        "snippet": snippet(f.location),
        "related": [_related(loc, note) for loc, note in f.related],
    }


def _related(location: Location, note: str) -> dict:
    line, column = location.begin
    text = location.doc.lines.line_text(line) if line <= location.doc.lines.line_count else ""
    return {"path": location.path, "line": line, "column": column, "note": note,
            "text": text.strip()}


def snippet(location: Location, context: int = CONTEXT_LINES) -> list[dict]:
    """The lines around `location`: each {n, before, mark, after, hit}, where `mark` is
    the part of the line inside the span; a {gap: count} row stands for marked lines left
    out of a long span."""
    lines = location.doc.lines
    count = lines.line_count
    first_line, first_col = location.begin
    last_line, last_col = location.finish
    if last_line > first_line and last_col == 1:  # the span ends with a line break
        last_line -= 1
        last_col = len(lines.line_text(last_line)) + 1
    first_line = min(first_line, count)
    last_line = min(max(last_line, first_line), count)
    rows: list[dict] = []
    shown = list(range(max(1, first_line - context), min(count, last_line + context) + 1))
    if last_line - first_line + 1 > MAX_MARKED_LINES:
        half = MAX_MARKED_LINES // 2
        keep = set(range(first_line, first_line + half)) | set(range(last_line - half + 1, last_line + 1))
        shown = [n for n in shown if not first_line <= n <= last_line or n in keep]
    previous = None
    for n in shown:
        if previous is not None and n != previous + 1:
            rows.append({"gap": n - previous - 1})
        previous = n
        text = lines.line_text(n)
        if first_line <= n <= last_line:
            a = first_col - 1 if n == first_line else 0
            b = last_col - 1 if n == last_line else len(text)
            b = max(b, a)
            rows.append({"n": n, "hit": True, "before": text[:a], "mark": text[a:b],
                         "after": text[b:], "gap": 0})
        else:
            rows.append({"n": n, "hit": False, "before": text, "mark": "", "after": "",
                         "gap": 0})
    return rows


# ----------------------------------------------------------- a small Markdown subset

_CODE = re.compile(r"`([^`\n]+)`")


def code_spans(text: str) -> list[tuple[str, str]]:
    """A message or fix as (kind, text) spans: `backquoted` parts become code."""
    spans: list[tuple[str, str]] = []
    pos = 0
    for m in _CODE.finditer(text):
        if m.start() > pos:
            spans.append(("text", text[pos:m.start()]))
        spans.append(("code", m.group(1)))
        pos = m.end()
    if pos < len(text):
        spans.append(("text", text[pos:]))
    return spans


_BULLET = re.compile(r"^ {0,3}([-*+]|\d+[.)]) +(.*)$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_HEADING = re.compile(r"^ {0,3}#{1,6} +(.*?)#*\s*$")
_INLINE = re.compile(
    r"`(?P<code>[^`]+)`"
    r"|\*\*(?P<strong>[^*]+?)\*\*"
    r"|(?<![\w*])\*(?P<em>[^*\s](?:[^*]*[^*\s])?)\*(?![\w*])"
    r"|(?<!\w)_(?P<em2>[^_\s](?:[^_]*[^_\s])?)_(?!\w)"
    r"|\[(?P<link>[^\]]+)\]\([^)\s]*\)")


def inline(text: str) -> list[tuple[str, str]]:
    """Spans of (kind, text): text, code, strong or em. A link keeps only its text."""
    spans: list[tuple[str, str]] = []
    pos = 0
    for m in _INLINE.finditer(text):
        if m.start() > pos:
            spans.append(("text", text[pos:m.start()]))
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "em2":
            kind = "em"
        elif kind == "link":
            kind = "text"
        if kind in ("strong", "em"):
            value = value.replace("`", "")
        spans.append((kind, value))
        pos = m.end()
    if pos < len(text):
        spans.append(("text", text[pos:]))
    return spans


def markdown(text: str) -> list[dict]:
    """Blocks: {kind: p|h|pre|ul|ol, spans | text | entries}; no HTML passes through (every
    piece is text the template escapes)."""
    lines = text.splitlines()
    blocks: list[dict] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        fence = _FENCE.match(line)
        if fence:
            body = []
            i += 1
            while i < len(lines) and not lines[i].lstrip().startswith(fence.group(1)):
                body.append(lines[i])
                i += 1
            i += 1
            blocks.append({"kind": "pre", "text": "\n".join(body)})
            continue
        if line.startswith(("    ", "\t")):
            body = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith(("    ", "\t"))):
                body.append(lines[i][4:] if lines[i].startswith("    ") else lines[i][1:])
                i += 1
            while body and not body[-1].strip():
                body.pop()
            blocks.append({"kind": "pre", "text": "\n".join(body)})
            continue
        heading = _HEADING.match(line)
        if heading:
            blocks.append({"kind": "h", "spans": inline(heading.group(1))})
            i += 1
            continue
        bullet = _BULLET.match(line)
        if bullet:
            ordered = bullet.group(1)[0].isdigit()
            items: list[list[str]] = []
            while i < len(lines):
                current = lines[i]
                m = _BULLET.match(current)
                if m and m.group(1)[0].isdigit() == ordered:
                    items.append([m.group(2)])
                elif current.strip() and not m and items and current.startswith(" "):
                    items[-1].append(current.strip())
                elif current.strip() and not m and items and lines[i - 1].strip():
                    items[-1].append(current.strip())  # a lazy continuation line
                elif not current.strip() and i + 1 < len(lines) and _BULLET.match(lines[i + 1]):
                    pass
                else:
                    break
                i += 1
            blocks.append({"kind": "ol" if ordered else "ul",
                           "entries": [inline(" ".join(item)) for item in items]})
            continue
        body = []
        while i < len(lines) and lines[i].strip() and not (
                _FENCE.match(lines[i]) or _HEADING.match(lines[i]) or _BULLET.match(lines[i])):
            body.append(lines[i].strip())
            i += 1
        blocks.append({"kind": "p", "spans": inline(" ".join(body))})
    return blocks


@cache
def _why(code: str) -> list[dict]:
    page = pages().get(code)
    if page is None:
        return []
    return markdown(page.section("Why"))


# --------------------------------------------------------------------------- net graphs


LAYER_HEIGHT = 38
BLOB_HEIGHT = 22
ROW_GAP = 34
NODE_GAP = 22
MARGIN = 16
WAYPOINT_WIDTH = 6  # the room an edge takes on a row it crosses
WAYPOINT_GAP = 10
MAX_WAYPOINTS = 20000  # per view; edges beyond it are drawn straight


@dataclass(eq=False)
class Node:
    id: str
    kind: str  # "layer", "blob" or "waypoint" (where a long edge crosses a row)
    label: str  # as drawn (shortened)
    full: str  # the whole name
    sub: str  # a layer's type
    order: int
    width: float = 0.0
    height: float = 0.0
    rank: int = 0
    x: float = 0.0  # left
    y: float = 0.0  # top
    preds: list = field(default_factory=list)
    succs: list = field(default_factory=list)
    is_input: bool = False
    severity: str = ""
    findings: list = field(default_factory=list)
    index: int = -1  # a layer's index in the net
    shape: str = ""  # a blob's shape, written beside the edge that produces it
    lx: float = 0.0  # where the shape is written
    ly: float = 0.0

    @property
    def span(self) -> float:
        """The width the node takes on its row, its shape label included."""
        if not self.shape:
            return self.width
        return max(self.width, self.width / 2 + 5 + len(self.shape) * 6.2)

    @property
    def cx(self) -> float:
        return self.x + self.width / 2

    @property
    def cy(self) -> float:
        return self.y + self.height / 2


@dataclass(eq=False)
class Edge:
    source: Node
    target: Node
    path: str = ""


def _short(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shape_text(shape) -> str:
    if shape is None:
        return ""
    if len(shape) == 0:
        return "scalar"
    return "×".join("?" if d is None else str(d) for d in shape)


def _view_label(view) -> str:
    state = view.state
    parts = [view.phase_name]
    if getattr(state, "stage", None):
        parts.append("stage " + ", ".join(state.stage))
    if getattr(state, "level", 0):
        parts.append(f"level {state.level}")
    return " · ".join(parts)


def _layer_findings(net, findings: list[Finding], finding_ids: dict[int, str]):
    """Findings by layer index: a finding belongs to the layer whose text block holds its
    start (layer blocks do not nest, so a bisection over their starts finds it)."""
    blocks = sorted((layer.node.start, layer.node.end, layer.index)
                    for layer in net.layers if layer.node is not None)
    starts = [b[0] for b in blocks]
    out: dict[int, list[dict]] = {}
    for f in findings:
        if f.location.doc is not net.doc:
            continue
        i = bisect_right(starts, f.location.start) - 1
        if i >= 0 and blocks[i][0] <= f.location.start < blocks[i][1]:
            out.setdefault(blocks[i][2], []).append({
                "id": finding_ids[id(f)], "code": f.code, "severity": str(f.severity),
                "rank": int(f.severity), "message": f.message.split("\n")[0]})
    return out


def _net(net, findings: list[Finding], finding_ids: dict[int, str], ids: _Ids) -> dict:
    marks = _layer_findings(net, findings, finding_ids)
    try:
        views = list(net.views)
    except Exception as exc:  # noqa: BLE001 - a report must not lose the findings
        views = []
        problem = f"{type(exc).__name__}: {exc}"
    else:
        problem = ""
    return {
        "id": ids.next("net"),
        "name": net.param.name,
        "inline": bool(getattr(net, "inline", False)),
        "layer_count": len(net.layers),
        "problem": problem,
        "views": [_view(view, marks, ids) for view in views],
    }


def _view(view, marks: dict[int, list[dict]], ids: _Ids) -> dict:
    try:
        shapes = view.shapes
    except Exception:  # noqa: BLE001 - shapes are a bonus; the graph is drawn without them
        shapes = None

    def top_shape(layer, t):
        try:
            return shape_text(shapes.top(layer, t)) if shapes is not None else ""
        except Exception:  # noqa: BLE001
            return ""

    def bottom_shape(layer, b):
        try:
            return shape_text(shapes.bottom(layer, b)) if shapes is not None else ""
        except Exception:  # noqa: BLE001
            return ""

    layers = view.layers
    drawn = layers[:MAX_LAYERS]
    nodes: list[Node] = []
    edges: list[Edge] = []
    tops: dict[tuple[int, int], Node] = {}
    inputs: dict[str, Node] = {}

    def blob(name: str, is_input: bool) -> Node:
        node = Node(f"{len(nodes)}", "blob", _short(name), name, "", len(nodes),
                    is_input=is_input)
        node.width = max(40.0, len(node.label) * 6.6 + 20)
        node.height = BLOB_HEIGHT
        nodes.append(node)
        return node

    def connect(source: Node, target: Node) -> None:
        edges.append(Edge(source, target))
        source.succs.append(target)
        target.preds.append(source)

    for layer in drawn:
        name = layer.name or f"(layer {layer.index + 1})"
        node = Node(f"{len(nodes)}", "layer", _short(name), name, _short(layer.type or "?"),
                    len(nodes), index=layer.index)
        node.width = max(90.0, len(node.label) * 7.4 + 24, len(node.sub) * 6.2 + 24)
        node.height = LAYER_HEIGHT
        node.findings = sorted(marks.get(layer.index, []), key=lambda m: -m["rank"])
        if node.findings:
            node.severity = node.findings[0]["severity"]
        for b, bottom in enumerate(layer.bottoms):
            edge = view.source(layer, b)
            source = tops.get((edge.layer.index, edge.slot)) if edge is not None else None
            if source is None:
                source = inputs.get(bottom)
                if source is None:
                    source = inputs[bottom] = blob(bottom, True)
                    source.shape = bottom_shape(layer, b)
            connect(source, node)
        nodes.append(node)
        for t, top in enumerate(layer.tops):
            out = blob(top, False)
            out.shape = top_shape(layer, t)
            tops[(layer.index, t)] = out
            connect(node, out)

    width, height = layout(nodes, edges)
    layer_count = sum(1 for n in nodes if n.kind == "layer")
    return {
        "id": ids.next("view"),
        "label": _view_label(view),
        "nodes": nodes,
        "edges": edges,
        "width": round(width, 1),
        "height": round(height, 1),
        "layers": len(layers),
        "drawn": layer_count,
        "blobs": len(nodes) - layer_count,
        "truncated": len(layers) > MAX_LAYERS,
        "marked": sum(1 for n in nodes if n.findings),
    }


def layout(nodes: list[Node], edges: list[Edge]) -> tuple[float, float]:
    """Place `nodes` (given in a topological order) top to bottom: each on the row of its
    longest path from a source (an input blob just above its first reader); an edge that
    skips rows gets a waypoint on each row it crosses, so that it is routed around the
    nodes there; rows are ordered by the barycentre of their predecessors and packed
    without overlap. Sets x/y of every node (and of a blob's shape label: above it, beside
    the edge that produces it, or below a net input, beside the edges that read it) and
    the path of every edge; returns the drawing's (width, height)."""
    if not nodes:
        return 2 * MARGIN, 2 * MARGIN
    for node in nodes:
        node.rank = max((p.rank + 1 for p in node.preds), default=0)
    for node in nodes:
        if node.is_input and node.succs:
            node.rank = max(0, min(s.rank for s in node.succs) - 1)

    # waypoints: the shortest long edges first, within a budget (a net input read by
    # hundreds of layers far apart would otherwise need a waypoint per row per reader)
    preds = {id(n): list(n.preds) for n in nodes}
    routes: dict[int, list[Node]] = {}
    everything = list(nodes)
    budget = MAX_WAYPOINTS
    for edge in sorted(edges, key=lambda e: e.target.rank - e.source.rank):
        span = edge.target.rank - edge.source.rank
        if span < 2:
            continue
        if span - 1 > budget:
            break
        budget -= span - 1
        previous = edge.source
        chain = []
        for rank in range(edge.source.rank + 1, edge.target.rank):
            point = Node("", "waypoint", "", "", "", edge.source.order, width=WAYPOINT_WIDTH,
                         rank=rank)
            preds[id(point)] = [previous]
            chain.append(point)
            everything.append(point)
            previous = point
        target_preds = preds[id(edge.target)]
        target_preds[target_preds.index(edge.source)] = previous
        routes[id(edge)] = chain

    rows: dict[int, list[Node]] = {}
    for node in everything:
        rows.setdefault(node.rank, []).append(node)
    y = MARGIN
    placed: set[int] = set()
    for rank in sorted(rows):
        row = rows[rank]
        height = max(n.height for n in row)
        desired: dict[int, float | None] = {}
        for node in row:
            anchors = [p.cx for p in preds[id(node)] if id(p) in placed]
            if node.kind != "waypoint":  # nodes follow nodes; long edges make room
                anchors = [p.cx for p in preds[id(node)]
                           if id(p) in placed and p.kind != "waypoint"] or anchors
            if not anchors:  # an input blob: beside the other inputs of its readers
                anchors = [q.cx for s in node.succs for q in s.preds if id(q) in placed]
            desired[id(node)] = sum(anchors) / len(anchors) if anchors else None
        with_place = sorted((n for n in row if desired[id(n)] is not None),
                            key=lambda n: (desired[id(n)], n.kind == "waypoint", n.order))
        without = [n for n in row if desired[id(n)] is None]
        right = -math.inf
        shifts = []
        for node in with_place + without:
            want = desired[id(node)]
            left = (want - node.width / 2) if want is not None else right + NODE_GAP
            if right != -math.inf:
                gap = WAYPOINT_GAP if node.kind == "waypoint" else NODE_GAP
                left = max(left, right + gap)
            elif want is None:
                left = 0.0
            node.x = left
            right = left + node.span
            if want is not None and node.kind != "waypoint":
                shifts.append(want - node.cx)
        if shifts:  # re-centre the row on where its nodes wanted to be
            delta = sum(shifts) / len(shifts)
            for node in row:
                node.x += delta
        for node in row:
            if node.kind == "waypoint":  # the edge runs straight down through the row
                node.y, node.height = y, height
            else:
                node.y = y + (height - node.height) / 2
            placed.add(id(node))
        y += height + ROW_GAP
    shift = MARGIN - min(n.x for n in everything)
    for node in everything:
        node.x = round(node.x + shift, 1)
        node.y = round(node.y, 1)
        node.lx = round(node.cx + 5, 1)
        node.ly = round(node.y + node.height + 13 if node.is_input else node.y - 8, 1)
    for edge in edges:
        points = [(edge.source.cx, edge.source.y + edge.source.height)]
        for point in routes.get(id(edge), ()):
            points += [(point.cx, point.y), (point.cx, point.y + point.height)]
        points.append((edge.target.cx, edge.target.y))
        path = [f"M{points[0][0]:.1f},{points[0][1]:.1f}"]
        for (x1, y1), (x2, y2) in zip(points, points[1:]):
            if x1 == x2:
                path.append(f"L{x2:.1f},{y2:.1f}")
            else:
                bend = max((y2 - y1) / 2, 8)
                path.append(f"C{x1:.1f},{y1 + bend:.1f} {x2:.1f},{y2 - bend:.1f} "
                            f"{x2:.1f},{y2:.1f}")
        edge.path = " ".join(path)
    width = max(n.x + n.span for n in everything) + MARGIN
    height = max(n.y + n.height for n in everything) + MARGIN
    return width, height


# --------------------------------------------------------------------------- schedules


PLOT_WIDTH, PLOT_HEIGHT = 760, 300
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 76, 24, 22, 44


def _rate_text(rate: float) -> str:
    if math.isnan(rate):
        return "NaN"
    if math.isinf(rate):
        return "+Inf" if rate > 0 else "-Inf"
    return f"{rate:.9g}"


def _nice_step(span: float, count: int) -> float:
    raw = span / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * magnitude:
            return m * magnitude
    return 10 * magnitude


def _ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if not hi > lo:
        return [lo]
    step = _nice_step(hi - lo, count)
    first = math.ceil(lo / step - 1e-9)
    out = []
    k = first
    while k * step <= hi + step * 1e-9:
        out.append(round(k * step, 12))
        k += 1
    return out


def _schedule(solver, ids: _Ids) -> dict:
    schedule = solver.schedule
    param = solver.param
    info = {
        "id": ids.next("schedule"),
        "type": getattr(solver, "type", ""),
        "policy": schedule.policy,
        "params": _schedule_params(schedule),
        "abort": None,
        "problem": "",
        "plot": None,
    }
    if schedule.abort is not None:
        info["abort"] = {"message": schedule.abort.message, "field": schedule.abort.field}
        return info
    try:
        info["plot"] = plot(schedule, param.max_iter)
    except Exception as exc:  # noqa: BLE001 - a report must not lose the findings
        info["problem"] = f"{type(exc).__name__}: {exc}"
    return info


def _schedule_params(schedule) -> list[tuple[str, str]]:
    out = [("lr_policy", schedule.policy), ("base_lr", f"{schedule.base_lr:.9g}")]
    policy = schedule.policy
    if policy in ("step", "exp", "inv", "multistep", "sigmoid"):
        out.append(("gamma", f"{schedule.gamma:.9g}"))
    if policy in ("inv", "poly"):
        out.append(("power", f"{schedule.power:.9g}"))
    if policy in ("step", "sigmoid"):
        out.append(("stepsize", str(schedule.stepsize)))
    if policy == "multistep":
        values = ", ".join(str(v) for v in schedule.stepvalues[:20])
        if len(schedule.stepvalues) > 20:
            values += f", … ({len(schedule.stepvalues)} in all)"
        out.append(("stepvalue", values or "(none)"))
    out.append(("max_iter", str(schedule.max_iter) if schedule.max_iter > 0 else "(not set)"))
    return out


_REGIONS = (
    ("nan", "NaN", math.isnan),
    ("inf", "Inf", math.isinf),
    ("zero", "zero", lambda r: r == 0),
)


def regions(schedule, stop: int) -> list[dict]:
    """Where the rate is NaN, infinite or zero over [0, stop): each an interval at one end
    of the range (the rate is monotone), found by bisection."""
    out = []
    for kind, word, predicate in _REGIONS:
        begin = schedule.first(predicate, 0, stop)
        if begin is None:
            continue
        end = stop
        if begin == 0:
            end = schedule.first(lambda r, p=predicate: not p(r), 0, stop) or stop
        if kind == "inf" and schedule.rate(begin) < 0:
            word = "-Inf"
        if end - begin == 1:
            text = f"{word} at iteration {begin:,}"
        elif end == stop:
            text = f"{word} from iteration {begin:,} on"
        else:
            text = f"{word} at iterations {begin:,} to {end - 1:,}"
        out.append({"kind": kind, "word": word, "begin": begin, "end": end, "text": text})
    return out


def plot(schedule, max_iter: int) -> dict:
    """The coordinates of the rate plot over [0, max_iter] (or [0, 10000] without
    max_iter): about 200 samples plus every change point and region edge."""
    note = ""
    if max_iter > 0:
        stop = max_iter
    else:
        stop = DEFAULT_HORIZON
        note = f"max_iter is not set: plotted over [0, {DEFAULT_HORIZON:,}]"
    found = regions(schedule, stop)
    iterations = {min(round(i * stop / SCHEDULE_SAMPLES), stop - 1) for i in range(SCHEDULE_SAMPLES + 1)}
    changes = schedule.change_points(stop)
    for c in changes:
        iterations.update((c - 1, c))
    for r in found:
        iterations.update((r["begin"], r["begin"] - 1, r["end"] - 1, r["end"]))
    iterations = sorted(k for k in iterations if 0 <= k < stop)
    samples = [(k, schedule.rate(k)) for k in iterations]

    finite = [r for _, r in samples if math.isfinite(r)]
    positive = [r for r in finite if r > 0]
    log = bool(positive) and min(finite) >= 0 and max(positive) / min(positive) >= LOG_RATIO
    pw = PLOT_WIDTH - PLOT_LEFT - PLOT_RIGHT
    ph = PLOT_HEIGHT - PLOT_TOP - PLOT_BOTTOM

    def px(k: float) -> float:
        return round(PLOT_LEFT + k / stop * pw, 1)

    if log:
        lo_l, hi_l = math.log10(min(positive)), math.log10(max(positive))
        pad = (hi_l - lo_l) * 0.06
        lo_l, hi_l = lo_l - pad, hi_l + pad

        def py(r: float) -> float:
            return round(PLOT_TOP + (hi_l - math.log10(r)) / (hi_l - lo_l) * ph, 1)

        decades = range(math.ceil(lo_l), math.floor(hi_l) + 1)
        every = max(1, math.ceil(len(decades) / 8))
        y_ticks = [(py(10.0 ** d), f"{10.0 ** d:g}") for d in decades[::every]]
        plottable = lambda r: math.isfinite(r) and r > 0  # noqa: E731
        scale = "log"
    else:
        lo = min(finite + [0.0]) if finite else 0.0
        hi = max(finite + [0.0]) if finite else 1.0
        if hi == lo:
            hi = lo + (abs(lo) or 1.0)
        hi_pad = hi + (hi - lo) * 0.06 if hi > 0 else hi
        lo_pad = lo - (hi - lo) * 0.06 if lo < 0 else lo

        def py(r: float) -> float:
            return round(PLOT_TOP + (hi_pad - r) / (hi_pad - lo_pad) * ph, 1)

        y_ticks = [(py(t), f"{t:.6g}") for t in _ticks(lo_pad, hi_pad)]
        plottable = math.isfinite
        scale = "linear"

    stepwise = schedule.policy in ("fixed", "step", "multistep")
    segments: list[str] = []
    current: list[str] = []
    last_y = None
    for k, r in samples:
        if not plottable(r):
            if current:
                segments.append(" ".join(current))
            current, last_y = [], None
            continue
        x, y = px(k), py(r)
        if not current:
            current.append(f"M{x},{y}")
        elif stepwise and y != last_y:
            current.append(f"H{x} V{y}")
        else:
            current.append(f"L{x},{y}")
        last_y = y
    if current:
        if stepwise and samples[-1][0] < stop:
            current.append(f"H{px(stop)}")
        segments.append(" ".join(current))

    x_ticks = [(px(t), f"{int(t):,}") for t in _ticks(0, stop, 6) if t == int(t)]
    shaded = []
    for r in found:
        left = px(r["begin"])
        right = max(px(r["end"]), left + 3)
        shaded.append({**r, "x": left, "width": round(right - left, 1)})
    key_points = sorted(set(default_points(schedule)) | {r["begin"] for r in found})
    key_points = [k for k in key_points if k <= stop][:MAX_KEY_POINTS]
    marked = set(changes[:60])
    marks = [{"x": px(k), "y": py(r), "iteration": k, "rate": _rate_text(r)}
             for k, r in samples if k in marked and plottable(r)]
    return {
        "width": PLOT_WIDTH,
        "height": PLOT_HEIGHT,
        "left": PLOT_LEFT,
        "top": PLOT_TOP,
        "right": PLOT_WIDTH - PLOT_RIGHT,
        "bottom": PLOT_HEIGHT - PLOT_BOTTOM,
        "stop": stop,
        "note": note,
        "scale": scale,
        "segments": segments,
        "x_ticks": x_ticks,
        "y_ticks": y_ticks,
        "regions": shaded,
        "marks": marks,
        "empty": not any(plottable(r) for _, r in samples),
        "changes": len(changes),
        "key_points": [{"iteration": k, "rate": _rate_text(schedule.rate(k))} for k in key_points],
        # for the hover readout, through a JSON script block: [x, iteration, rate text]
        "hover": [[px(k), k, _rate_text(r)] for k, r in samples],
    }

