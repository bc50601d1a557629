/* The SPARQL editor page: YASGUI when the vendored files are there, else a plain form that
   still runs queries (results drawn as a table here, or shown raw without JavaScript). */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("editor-config").textContent);
  var endpoint = new URL(config.endpoint, window.location.href).href;
  var select = document.getElementById("example");
  var exampleForm = document.getElementById("example-form");
  var plainForm = document.getElementById("plain-form");
  var textarea = document.getElementById("query");
  var yasgui = null;
  var localLinks = config.localLinks || {};

  // This service's pages for its own IRIs (…/id/… → /id/…, the vocabulary → /def/…): a result
  // link opens here, even when the data's base is a w3id.org address that redirects elsewhere.
  function localHref(iri) {
    for (var base in localLinks) {
      if (iri.indexOf(base) === 0 && iri.length > base.length) return localLinks[base] + iri.slice(base.length);
    }
    return iri;
  }
  function localiseLinks(root) {
    root.querySelectorAll("a[href]").forEach(function (a) {
      var href = localHref(a.getAttribute("href"));
      if (href !== a.getAttribute("href")) { a.setAttribute("href", href); a.removeAttribute("target"); }
    });
  }

  if (window.Yasgui && document.getElementById("yasgui")) {
    plainForm.hidden = true;
    yasgui = new window.Yasgui(document.getElementById("yasgui"), {
      requestConfig: { endpoint: endpoint, method: "POST", headers: { Accept: "application/sparql-results+json" } },
      copyEndpointOnNewTab: false,
      persistenceId: null,
      endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
      yasqe: { value: config.query, autocompleters: ["prefixes", "variables"] },
      yasr: { prefixes: config.prefixes }
    });
    var tab = yasgui.getTab();
    tab.setEndpoint(endpoint);
    tab.setQuery(config.query);
    var yasqe = tab.getYasqe();
    if (yasqe && yasqe.addPrefixes) {
      var current = yasqe.getValue();
      yasqe.addPrefixes(config.prefixes);
      if (!current) yasqe.setValue(config.query);
    }
    window.policykgEditor = yasgui;
    // YASR draws results after each query; rewrite the links it drew (and any it draws later).
    var results = document.getElementById("yasgui");
    new MutationObserver(function () { localiseLinks(results); }).observe(results, { childList: true, subtree: true });
  }

  if (exampleForm && select) {
    exampleForm.addEventListener("submit", function (event) {
      var query = select.value;   // each named question declares its own prefixes
      if (yasgui) {
        event.preventDefault();
        yasgui.getTab().setQuery(query);
      } else if (textarea) {
        event.preventDefault();
        textarea.value = query;
        textarea.focus();
      }
    });
  }

  // Plain form: run through fetch and draw a table (JSON results).
  if (!yasgui && plainForm) {
    var out = document.getElementById("plain-results");
    plainForm.addEventListener("submit", function (event) {
      var format = document.getElementById("format").value;
      if (format !== "json") return;  // let the browser show CSV/TSV/XML as the endpoint sends them
      event.preventDefault();
      out.textContent = "…";
      var body = new URLSearchParams();
      body.set("query", textarea.value);
      fetch(endpoint, { method: "POST", body: body, headers: { Accept: "application/sparql-results+json" } })
        .then(function (response) {
          return response.text().then(function (text) { return { ok: response.ok, status: response.status, text: text }; });
        })
        .then(function (r) {
          out.textContent = "";
          if (!r.ok) {
            var p = document.createElement("p");
            p.className = "error";
            p.setAttribute("role", "alert");
            p.textContent = config.labels.error + " (" + r.status + "): " + r.text.slice(0, 2000);
            out.appendChild(p);
            return;
          }
          var data = JSON.parse(r.text);
          if (typeof data.boolean === "boolean") { out.textContent = String(data.boolean); return; }
          var vars = data.head.vars, rows = data.results.bindings;
          var count = document.createElement("p");
          count.textContent = rows.length + " " + config.labels.rows;
          out.appendChild(count);
          var wrap = document.createElement("div");
          wrap.className = "table-wrap";
          var table = document.createElement("table");
          table.id = "plain-results-table";
          var head = table.createTHead().insertRow();
          vars.forEach(function (v) { var th = document.createElement("th"); th.scope = "col"; th.textContent = v; head.appendChild(th); });
          var tbody = table.createTBody();
          rows.forEach(function (b) {
            var tr = tbody.insertRow();
            vars.forEach(function (v) {
              var cell = tr.insertCell();
              if (b[v] && b[v].type === "uri") {
                var a = document.createElement("a");
                a.href = localHref(b[v].value);
                a.textContent = b[v].value;
                cell.appendChild(a);
              } else {
                cell.textContent = b[v] ? b[v].value : "";
              }
            });
          });
          wrap.appendChild(table);
          out.appendChild(wrap);
        })
        .catch(function (err) { out.textContent = config.labels.error + ": " + err; });
    });
  }
})();
