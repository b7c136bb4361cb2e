(function () {
  "use strict";
  var all = function (selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  };
  var plural = function (n, word) { return n + " " + word + (n === 1 ? "" : "s"); };

  /* Filters: severity check boxes and a rule select; findings carry data-severity and
     data-code. */
  var findings = all("article.finding");
  var severityBoxes = all("input[data-filter-severity]");
  var codeSelect = document.getElementById("filter-code");
  var sortSelect = document.getElementById("sort-findings");
  var shownTotal = document.getElementById("shown-total");

  function applyFilters() {
    var wanted = {};
    severityBoxes.forEach(function (box) { wanted[box.value] = box.checked; });
    var code = codeSelect ? codeSelect.value : "";
    var shown = 0;
    findings.forEach(function (f) {
      var visible = wanted[f.dataset.severity] !== false && (!code || f.dataset.code === code);
      f.hidden = !visible;
      if (visible) { shown += 1; }
    });
    if (shownTotal) {
      shownTotal.textContent = shown + " of " + plural(findings.length, "finding") + " shown";
    }
    all("section.file").forEach(function (section) {
      var mine = all("article.finding", section);
      var visible = mine.filter(function (f) { return !f.hidden; }).length;
      var label = section.querySelector(".file-shown");
      if (label) { label.textContent = visible + " of " + mine.length + " shown"; }
      var none = section.querySelector(".none-shown");
      if (none) { none.hidden = !(mine.length > 0 && visible === 0); }
    });
  }

  function sortFindings() {
    var by = sortSelect ? sortSelect.value : "line";
    var key = function (f) {
      var line = Number(f.dataset.line), column = Number(f.dataset.column);
      var order = Number(f.dataset.order);
      if (by === "severity") { return [-Number(f.dataset.rank), line, column, order]; }
      if (by === "code") { return [f.dataset.code, line, column, order]; }
      return [line, column, order];
    };
    var compare = function (a, b) {
      var ka = key(a), kb = key(b);
      for (var i = 0; i < ka.length; i += 1) {
        if (ka[i] < kb[i]) { return -1; }
        if (ka[i] > kb[i]) { return 1; }
      }
      return 0;
    };
    all(".findings").forEach(function (list) {
      all("article.finding", list).sort(compare).forEach(function (f) { list.appendChild(f); });
    });
  }

  severityBoxes.forEach(function (box) { box.addEventListener("change", applyFilters); });
  if (codeSelect) { codeSelect.addEventListener("change", applyFilters); }
  if (sortSelect) { sortSelect.addEventListener("change", sortFindings); }

  /* Phase tabs of each net graph. */
  all(".tabs").forEach(function (bar) {
    var tabs = all("button.tab", bar);
    tabs.forEach(function (tab) {
      tab.addEventListener("click", function () {
        tabs.forEach(function (other) {
          var selected = other === tab;
          other.setAttribute("aria-selected", selected ? "true" : "false");
          var panel = document.getElementById(other.dataset.tab);
          if (panel) { panel.hidden = !selected; }
        });
      });
    });
  });
  all("input[data-fit]").forEach(function (box) {
    box.addEventListener("change", function () {
      var net = document.getElementById(box.dataset.fit);
      if (!net) { return; }
      all(".graph-scroll", net).forEach(function (div) { div.classList.toggle("fit", box.checked); });
    });
  });

  /* Schedule plots: the samples come from a JSON block, [x, iteration, rate text]. */
  all("svg.schedule-plot[data-hover]").forEach(function (svg) {
    var block = document.getElementById(svg.dataset.hover);
    if (!block) { return; }
    var points;
    try { points = JSON.parse(block.textContent); } catch (e) { return; }
    if (!points.length) { return; }
    var cursor = svg.querySelector(".cursor");
    var readout = svg.querySelector(".readout");
    var viewBox = svg.viewBox.baseVal;
    var left = Number(svg.dataset.left), right = Number(svg.dataset.right);
    svg.addEventListener("mousemove", function (event) {
      var box = svg.getBoundingClientRect();
      if (!box.width) { return; }
      var x = (event.clientX - box.left) * viewBox.width / box.width;
      if (x < left || x > right) { svg.classList.remove("hovering"); readout.textContent = ""; return; }
      var best = points[0];
      points.forEach(function (p) { if (Math.abs(p[0] - x) < Math.abs(best[0] - x)) { best = p; } });
      cursor.setAttribute("x1", best[0]);
      cursor.setAttribute("x2", best[0]);
      readout.textContent = "iteration " + best[1] + ": lr = " + best[2];
      svg.classList.add("hovering");
    });
    svg.addEventListener("mouseleave", function () {
      svg.classList.remove("hovering");
      readout.textContent = "";
    });
  });

  /* A rule's "Why", when the page carries it once (in "Rules reported"): copied into a
     finding the first time its "Why" is opened. */
  all("details.why").forEach(function (details) {
    details.addEventListener("toggle", function () {
      var body = details.querySelector("[data-why-from]");
      if (!details.open || !body) { return; }
      var source = document.getElementById(body.dataset.whyFrom);
      var text = source && source.querySelector(".why-text");
      if (!text) { return; }
      body.replaceChildren.apply(body, Array.prototype.map.call(text.childNodes, function (node) {
        return node.cloneNode(true);
      }));
      body.removeAttribute("data-why-from");
    });
  });
  all("a[href^='#rule-']").forEach(function (link) {
    link.addEventListener("click", function () {
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (target) { target.open = true; }
    });
  });

  applyFilters();
})();
