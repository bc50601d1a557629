/* policykg pages: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // The reader's table of contents starts folded on narrow screens.
  var toc = document.getElementById("toc-details");
  if (toc && window.matchMedia && window.matchMedia("(max-width: 48rem)").matches) toc.open = false;

  // Sortable tables: <table data-sortable> with <th><button class="sort">.
  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) return "";
    var raw = cell.getAttribute("data-sort");
    return raw !== null ? raw : cell.textContent.trim();
  }
  function compare(a, b) {
    var na = parseFloat(a), nb = parseFloat(b);
    if (!isNaN(na) && !isNaN(nb) && String(na) === a.replace(/\.0+$/, "") && String(nb) === b.replace(/\.0+$/, "")) return na - nb;
    if (!isNaN(na) && !isNaN(nb) && /^-?[\d.]+$/.test(a) && /^-?[\d.]+$/.test(b)) return na - nb;
    return a.localeCompare(b, "zh-Hans-CN");
  }
  document.querySelectorAll("table[data-sortable]").forEach(function (table) {
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (th, index) {
      var button = th.querySelector("button.sort");
      if (!button) return;
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var c = compare(cellValue(r1, index), cellValue(r2, index));
          return ascending ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });

  // Client-side filtering of a table by the selects of a form[data-filter-table].
  document.querySelectorAll("form[data-filter-table]").forEach(function (form) {
    var table = document.getElementById(form.getAttribute("data-filter-table"));
    if (!table) return;
    var counter = document.getElementById(form.getAttribute("data-filter-count"));
    function apply() {
      var wanted = {};
      form.querySelectorAll("select[data-column]").forEach(function (s) { wanted[s.getAttribute("data-column")] = s.value; });
      var text = form.querySelector("input[data-filter-text]");
      var needle = text ? text.value.trim().toLowerCase() : "";
      var shown = 0;
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        var ok = true;
        Object.keys(wanted).forEach(function (col) {
          if (wanted[col] && (row.getAttribute("data-" + col) || "").split(" ").indexOf(wanted[col]) < 0) ok = false;
        });
        if (ok && needle && row.textContent.toLowerCase().indexOf(needle) < 0) ok = false;
        row.hidden = !ok;
        if (ok) shown += 1;
      });
      if (counter) counter.textContent = String(shown);
    }
    form.addEventListener("change", apply);
    form.addEventListener("input", apply);
  });

  // A print button (the 责任清单): the browser's own print dialog, with the print stylesheet.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
