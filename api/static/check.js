/* /check: send the registers with a progress bar (bytes sent, then 核对中…) instead of a silent wait.
 * Without this file (or without XMLHttpRequest) the form posts as usual and the progress box stays
 * hidden; when the request itself fails (network, aborted) the form is posted the plain way. The
 * words come from the box's data-* attributes, so they follow the page's language. */
(function () {
  "use strict";
  if (!window.XMLHttpRequest || !window.FormData || !window.DOMParser) return;

  function megabytes(bytes) { return (bytes / 1048576).toFixed(1) + " MB"; }

  function filename(xhr, fallback) {
    var match = /filename="?([^";]+)"?/.exec(xhr.getResponseHeader("Content-Disposition") || "");
    return match ? match[1] : fallback;
  }

  // A page answer (the report, or the form with its errors) replaces <main>; the submit listener is
  // on the document, so the new form gets the same treatment.
  function showPage(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("main");
    var here = document.getElementById("main");
    if (!fresh || !here) return false;
    here.replaceWith(document.importNode(fresh, true));
    if (doc.title) document.title = doc.title;
    var first = document.querySelector("#main [role=alert], #main h2");
    if (first && first.scrollIntoView) first.scrollIntoView();
    return true;
  }

  function download(blob, name) {
    var url = URL.createObjectURL(blob);
    var link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }

  function send(form) {
    var box = document.getElementById("check-progress");
    var bar = box.querySelector("progress");
    var text = document.getElementById("check-progress-text");
    var button = form.querySelector("button[type=submit]");
    var format = form.elements.format ? form.elements.format.value : "html";
    var xhr = new XMLHttpRequest();

    function say(words) { text.textContent = words; }
    function done() { if (button) button.disabled = false; }
    function plain() { done(); box.hidden = true; form.submit(); }   // submit() fires no submit event

    box.hidden = false;
    bar.max = 100;
    bar.value = 0;
    say(box.dataset.sent + " 0 MB");
    if (button) button.disabled = true;

    xhr.open("POST", form.action);
    xhr.responseType = "blob";
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) return;
      bar.max = event.total;
      bar.value = event.loaded;
      say(box.dataset.sent + " " + megabytes(event.loaded) + " / " + megabytes(event.total));
    });
    xhr.upload.addEventListener("load", function () {
      bar.removeAttribute("value");   // indeterminate: the server is reading and checking
      say(box.dataset.checking);
    });
    xhr.addEventListener("load", function () {
      var type = (xhr.getResponseHeader("Content-Type") || "").split(";")[0];
      if (type === "text/html") {
        xhr.response.text().then(function (html) { if (!showPage(html)) plain(); });
        return;
      }
      done();
      if (xhr.status === 200) {
        download(xhr.response, filename(xhr, "report." + format));
        bar.max = 1;
        bar.value = 1;
        say(box.dataset.downloaded + " " + filename(xhr, "report." + format));
        return;
      }
      // not a page (e.g. the whole request over the server's body limit): say what the server said
      xhr.response.text().then(function (body) {
        box.setAttribute("role", "alert");
        say(box.dataset.failed + " (" + xhr.status + "): " + body.slice(0, 300));
      });
    });
    xhr.addEventListener("error", plain);
    xhr.addEventListener("abort", plain);
    xhr.send(new FormData(form));
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || form.id !== "check-form" || !document.getElementById("check-progress")) return;
    event.preventDefault();
    send(form);
  });
})();
