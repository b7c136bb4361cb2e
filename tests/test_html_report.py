"""The HTML report (`protolint lint --format html`): a self-contained page, checked as
text and in a real browser (Debian's chromium driven headless by Playwright)."""

from __future__ import annotations

import io
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO
from protolint import __version__
from protolint.catalogue import pages
from protolint.cli import main
from protolint.formats import html
from protolint.lint import Options, run

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = REPO / "test-artifacts" / "report.png"

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_ATTR = '"><img src=x onerror=alert(1)>'
XSS_FLAG = '<img src=x onerror="window.__xss=1">'
XSS_BLOB = "</script><script>window.__xss=2</script>"

NET = r"""# A net with findings of every severity, and names that are HTML.
name: "xss-net"
layer {
  name: "data"
  type: "Input"
  top: "data"
  top: "label"
  input_param { shape { dim: 8 dim: 3 dim: 24 dim: 24 } shape { dim: 8 } }
}
layer {
  name: "<script>alert(1)</script>"
  type: "Convolution"
  bottom: "data"
  top: "conv1"
  convolution_param { num_output: 16 kernel_size: 3 weight_filler { type: "xavier" } }
}
layer {
  name: "bn1"
  type: "BatchNorm"
  bottom: "conv1"
  top: "conv1"
  param { lr_mult: 1 }
  batch_norm_param { use_global_stats: true }
}
layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
layer {
  name: '"><img src=x onerror=alert(1)>'
  type: "Pooling"
  bottom: "conv1"
  top: "</script><script>window.__xss=2</script>"
  pooling_param { pool: AVE kernel_size: 2 stride: 3 }
}
layer {
  name: "bn2"
  type: "BatchNorm"
  bottom: "</script><script>window.__xss=2</script>"
  top: "bn2"
  param { lr_mult: 1 }
  param { lr_mult: 0 }
  param { lr_mult: 0 }
}
layer {
  name: "<img src=x onerror=\"window.__xss=1\">"
  type: "InnerProduct"
  bottom: "bn2"
  top: "fc"
  inner_product_param { num_output: 10 weight_filler { type: "xavier" } }
}
layer { name: "prob" type: "Softmax" bottom: "fc" top: "prob" }
layer { name: "loss" type: "InfogainLoss" bottom: "prob" bottom: "label" top: "loss" }
layer {
  name: "accuracy"
  type: "Accuracy"
  bottom: "fc"
  bottom: "label"
  top: "accuracy"
  include { phase: TEST }
}
"""

POLY_SOLVER = """# poly without max_iter: NaN at iteration 0, +inf after
net: "net.prototxt"
test_iter: 10
test_interval: 100
base_lr: 0.01
lr_policy: "poly"
power: 0.9
"""

MULTISTEP_SOLVER = """net: "net.prototxt"
test_iter: 10
test_interval: 1000
base_lr: 0.1
momentum: 0.9
lr_policy: "multistep"
gamma: 0.1
stepvalue: 3000
stepvalue: 6000
stepvalue: 9000
max_iter: 10000
"""

ABORT_SOLVER = """net: "net.prototxt"
test_iter: 10
test_interval: 1000
base_lr: 0.01
lr_policy: "step"
gamma: 0.1
max_iter: 1000
"""

BROKEN = 'layer { name: "data" type: "Input" \n'  # does not parse
UNKNOWN = 'something: 1\nelse: "x"\n'


def write_project(root: Path) -> list[str]:
    files = {
        "net.prototxt": NET,
        "solver_poly.prototxt": POLY_SOLVER,
        "solver_multistep.prototxt": MULTISTEP_SOLVER,
        "solver_abort.prototxt": ABORT_SOLVER,
        "broken.prototxt": BROKEN,
        "unknown.prototxt": UNKNOWN,
    }
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return [str(root / name) for name in files]


def render(result) -> str:
    out = io.StringIO()
    html.render(result, out, {"color": False})
    return out.getvalue()


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("html-report")
    paths = [Path(p).name for p in write_project(root)]
    old = os.getcwd()
    os.chdir(root)  # the report shows the paths as given: short ones
    try:
        result = run(paths, Options(cwd=root))
    finally:
        os.chdir(old)
    assert not result.errors, result.errors
    page = render(result)
    report = root / "report.html"
    report.write_text(page, encoding="utf-8")
    return {"root": root, "result": result, "html": page, "path": report}


# --------------------------------------------------------------------- without a browser


def test_the_fixture_has_findings_of_every_severity(project):
    severities = {str(f.severity) for f in project["result"].findings}
    assert severities == {"error", "warning", "info"}
    assert len({f.code for f in project["result"].findings}) >= 5


class Tags(HTMLParser):
    """Every start tag with its attributes, as a browser would see them."""

    def __init__(self, page: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_no_url_is_referenced(project):
    page = project["html"]
    assert not re.search(r"https?://", page, re.I)
    assert "@import" not in page and "url(" not in page.replace("url(#", "")
    tags = Tags(page).tags
    names = {tag for tag, _ in tags}
    assert not names & {"img", "link", "iframe", "object", "embed", "image", "use", "base"}
    for tag, attrs in tags:
        assert "src" not in attrs, tag
        for name in ("href", "xlink:href", "action"):
            assert attrs.get(name, "#").startswith("#"), (tag, attrs)
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
    policy = next(a["content"] for t, a in tags if a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in policy and "script-src 'sha256-" in policy


def test_file_derived_text_is_escaped(project):
    page = project["html"]
    for raw in (XSS_SCRIPT, XSS_ATTR, XSS_FLAG, XSS_BLOB):
        assert raw not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;/script&gt;&lt;script&gt;window.__xss=2&lt;/script&gt;" in page
    # our own script is the only executable one, and nothing else closes a script early
    assert len(re.findall(r"<script>", page)) == 1
    assert page.count("</script>") == len(re.findall(r"<script[ >]", page))
    for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', page, re.S):
        assert "</" not in block and "<" not in block


def test_summary_and_sections(project):
    page = project["html"]
    result = project["result"]
    assert f"protolint {__version__}" in page
    assert f"{len(result.files)} files" in page
    assert "This file does not parse" in page
    assert "Not recognised as a Caffe net or solver" in page
    assert "Check failed: this-&gt;param_.stepsize() &gt; 0" in page  # Caffe's words, escaped
    assert "max_iter is not set: plotted over [0, 10,000]" in page
    assert 'data-scale="log"' in page  # multistep over three decades
    assert page.count('class="finding ') == len(result.findings)


def plain_phrase(code: str) -> str:
    """Words from a rule's Why section that render exactly as written (no markup)."""
    match = re.search(r"[A-Za-z][A-Za-z ,]{30,}[A-Za-z]", pages()[code].section("Why"))
    assert match, code
    return match.group()


def test_each_finding_carries_its_rules_why(project):
    page = project["html"]
    why = plain_phrase("PL204")
    count = sum(1 for f in project["result"].findings if f.code == "PL204")
    assert page.count(why) == count + 1  # and once under the rules


def test_zero_findings_and_empty_runs(tmp_path):
    (tmp_path / "ok.prototxt").write_text(
        'layer { name: "data" type: "Input" top: "data"\n'
        '  input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }\n'
        'layer { name: "relu" type: "ReLU" bottom: "data" top: "data" }\n', encoding="utf-8")
    result = run([str(tmp_path / "ok.prototxt")], Options(cwd=tmp_path))
    assert result.findings == []
    page = render(result)
    assert "No findings in 1 file." in page
    assert '<svg class="graph"' in page
    empty = render(run([], Options(cwd=tmp_path)))
    assert "No files were linted." in empty


def test_huge_nets_are_capped(tmp_path):
    layers = ['layer { name: "data" type: "Input" top: "x"\n'
              '  input_param { shape { dim: 1 dim: 4 } } }']
    layers += [f'layer {{ name: "r{i}" type: "ReLU" bottom: "x" top: "x" }}' for i in range(450)]
    (tmp_path / "big.prototxt").write_text("\n".join(layers) + "\n", encoding="utf-8")
    page = render(run([str(tmp_path / "big.prototxt")], Options(cwd=tmp_path)))
    assert "This view has 451 layers: only the first 400 are drawn." in page
    assert page.count('<g class="node layer') == 2 * 400  # TRAIN and TEST


def test_cli_writes_the_report(tmp_path):
    paths = write_project(tmp_path)
    out = tmp_path / "out.html"
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        outcome = CliRunner().invoke(main, ["lint", "--format", "html", "-o", str(out), *paths])
    finally:
        os.chdir(old)
    assert outcome.exit_code == 1, outcome.output  # there are errors
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_markdown_subset_escapes_and_structures():
    blocks = html.markdown("A `<b>` and **bold** text\nwrapped.\n\n- one\n  two\n- three\n\n"
                           "    code <i>\n\n1. first\n2. second")
    assert [b["kind"] for b in blocks] == ["p", "ul", "pre", "ol"]
    assert blocks[0]["spans"][1] == ("code", "<b>")
    assert blocks[1]["entries"][0] == [("text", "one two")]
    assert blocks[2]["text"] == "code <i>"
    env = html._environment()
    page = env.from_string("{% for k, t in s %}{{ t }}{% endfor %}").render(s=blocks[0]["spans"])
    assert "&lt;b&gt;" in page and "<b>" not in page


def test_snippet_marks_the_span(project):
    finding = next(f for f in project["result"].findings if f.code == "PL204")
    rows = html.snippet(finding.location)
    hits = [r for r in rows if r.get("hit")]
    assert [r["n"] for r in hits] == [finding.line]
    assert hits[0]["mark"] == "lr_mult: 1"
    assert rows[0]["n"] == finding.line - 2 and rows[-1]["n"] == finding.line + 2


def test_schedule_regions():
    solver = next(s for s in run_solver(POLY_SOLVER).project.solvers)
    regions = html.regions(solver.schedule, 10000)
    assert [(r["kind"], r["begin"], r["end"]) for r in regions] == [
        ("nan", 0, 1), ("inf", 1, 10000)]


def run_solver(text: str):
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "net.prototxt").write_text(NET, encoding="utf-8")
        (Path(d) / "solver.prototxt").write_text(text, encoding="utf-8")
        return run([str(Path(d) / "solver.prototxt")], Options(cwd=Path(d)))


# --------------------------------------------------------------------- in a browser

BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (CI installs Debian's chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright Python package is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, project):
    """The report opened from its file:// URL, with every console message, page error,
    dialog and request recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    log = {"console": [], "errors": [], "dialogs": [], "requests": []}
    pg.on("console", lambda m: log["console"].append((m.type, m.text)))
    pg.on("pageerror", lambda e: log["errors"].append(str(e)))

    def dialog(d):
        log["dialogs"].append(d.message)
        d.dismiss()

    pg.on("dialog", dialog)
    pg.on("request", lambda r: log["requests"].append(r.url))
    pg.goto(project["path"].as_uri())
    pg.wait_for_load_state("load")
    pg.log = log
    yield pg
    context.close()


def visible_findings(pg) -> int:
    return pg.locator("article.finding:visible").count()


def test_loads_cleanly_and_offline(page, project):
    page.wait_for_timeout(200)
    log = page.log
    assert [c for c in log["console"] if c[0] == "error"] == []
    assert log["errors"] == []
    assert log["dialogs"] == []
    assert all(re.match(r"(file|data|about):", url) for url in log["requests"]), log["requests"]
    assert page.title().startswith("protolint report")
    assert page.locator("#shown-total").inner_text() == (
        f"{len(project['result'].findings)} of {len(project['result'].findings)} findings shown")


def test_filters_hide_and_show_findings(page, project):
    findings = project["result"].findings
    total = len(findings)
    errors = sum(1 for f in findings if str(f.severity) == "error")
    infos = sum(1 for f in findings if str(f.severity) == "info")
    assert visible_findings(page) == total
    page.locator("input[data-filter-severity=error]").uncheck()
    assert visible_findings(page) == total - errors
    assert page.locator("article.finding.sev-error:visible").count() == 0
    page.locator("input[data-filter-severity=info]").uncheck()
    assert visible_findings(page) == total - errors - infos
    page.locator("input[data-filter-severity=error]").check()
    page.locator("input[data-filter-severity=info]").check()
    assert visible_findings(page) == total

    page.select_option("#filter-code", "PL204")
    assert visible_findings(page) == sum(1 for f in findings if f.code == "PL204")
    assert page.locator("article.finding:visible").first.get_attribute("data-code") == "PL204"
    assert page.locator("#shown-total").inner_text().startswith("1 of ")
    # a file whose findings are all hidden says so
    assert page.locator("section.file .none-shown:visible").count() >= 1
    page.locator("input[data-filter-severity=error]").uncheck()  # PL204 is an error
    assert visible_findings(page) == 0
    page.select_option("#filter-code", "")
    page.locator("input[data-filter-severity=error]").check()
    assert visible_findings(page) == total


def test_sorting_reorders_findings(page):
    section = page.locator("section.file", has=page.locator("article.finding.sev-info")).first
    lines = [int(x) for x in section.locator("article.finding").evaluate_all(
        "els => els.map(e => e.dataset.line)")]
    assert lines == sorted(lines)
    page.select_option("#sort-findings", "severity")
    ranks = [int(x) for x in section.locator("article.finding").evaluate_all(
        "els => els.map(e => e.dataset.rank)")]
    assert ranks == sorted(ranks, reverse=True)
    page.select_option("#sort-findings", "line")


def test_xss_names_are_text(page):
    page.wait_for_timeout(200)
    assert page.log["dialogs"] == []
    assert page.evaluate("window.__xss") is None
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.evaluate("document.querySelectorAll('script:not([type])').length") == 1
    text = page.locator("body").inner_text()
    for raw in (XSS_SCRIPT, XSS_ATTR, XSS_FLAG):
        assert raw in text
    # in the graph: SVG text and attributes hold the names verbatim
    graph = page.locator("svg.graph").first
    names = graph.locator("g.layer").evaluate_all("els => els.map(e => e.dataset.layer)")
    assert XSS_SCRIPT in names and XSS_ATTR in names and XSS_FLAG in names
    assert XSS_BLOB in graph.locator("g.blob").evaluate_all(
        "els => els.map(e => e.dataset.blob)")


def test_graph_svg_per_phase(page):
    net = page.locator(".graph-panel").first
    train = net.locator(".tab-panel:visible svg.graph")
    assert train.count() == 1
    text = train.text_content()
    for name in ("data", "bn1", "relu1", "prob", "loss", XSS_SCRIPT, "8×3×24×24"):
        assert name in text
    assert "accuracy" not in text  # TEST only
    assert train.locator("g.layer.marked").count() >= 4  # findings marked on their layers
    marked = train.locator("g.layer.marked", has_text="bn1")
    assert marked.get_attribute("class").endswith("sev-error")
    net.locator("button.tab", has_text="TEST").click()
    test = net.locator(".tab-panel:visible svg.graph")
    assert "accuracy" in test.text_content()
    assert net.locator(".tab-panel:visible").get_attribute("data-phase") == "TEST"
    # a marked layer links to its finding
    test.locator("g.layer.marked", has_text="bn1").locator("a").click()
    assert page.evaluate("location.hash").startswith("#finding-")
    assert page.locator(":target").get_attribute("data-code") in ("PL204", "PL206", "PL207")


def test_schedule_svgs(page):
    plots = page.locator("svg.schedule-plot")
    assert plots.count() == 2  # the aborting solver shows Caffe's message instead
    nan = page.locator("svg.schedule-plot .region-nan")
    assert nan.count() == 1
    assert "NaN at iteration 0" in nan.first.locator("title").text_content()
    assert page.locator("svg.schedule-plot .region-inf").count() == 1
    log_plot = page.locator('svg.schedule-plot[data-scale="log"]')
    assert log_plot.count() == 1 and log_plot.locator("path.rate").count() >= 1
    abort = page.locator(".schedule-panel .abort")
    assert abort.count() == 1
    assert "Check failed: this->param_.stepsize() > 0" in abort.inner_text()
    # the hover readout reads the samples from the JSON block
    log_plot.scroll_into_view_if_needed()
    box = log_plot.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    readout = re.fullmatch(r"iteration (\d+): lr = (\S+)",
                           log_plot.locator(".readout").text_content())
    assert readout and 3000 <= int(readout[1]) < 6000  # the middle of [0, 10000]
    assert float(readout[2]) == pytest.approx(0.01, rel=1e-6)
    assert page.log["errors"] == []


def test_a_long_report_copies_the_why_when_opened(browser, project, monkeypatch, tmp_path):
    monkeypatch.setattr(html, "INLINE_WHY", 0)
    page_html = render(project["result"])
    why = plain_phrase("PL204")
    assert page_html.count(why) == 1  # under "Rules reported" only
    path = tmp_path / "long.html"
    path.write_text(page_html, encoding="utf-8")
    context = browser.new_context()
    try:
        pg = context.new_page()
        errors = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pg.goto(path.as_uri())
        from playwright.sync_api import expect

        finding = pg.locator("article.finding[data-code=PL204]").first
        finding.locator("details.why > summary").click()
        # The copy happens in the details' toggle event, after the click returns: wait for it.
        expect(finding.locator("details.why")).to_contain_text(why, timeout=5000)
        assert errors == []
    finally:
        context.close()


def test_screenshot_for_humans(page):
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 10_000
