// Progressive enhancement of the upload progress page (templates/incidents/uploads/progress.html).
// Without JavaScript the page refreshes itself through a <meta http-equiv="refresh"> inside
// <noscript>; with it, this script polls the JSON status URL, moves the progress bar in place and
// loads the next page (preview or summary) when the worker has finished.
(function () {
  "use strict";
  var root = document.querySelector("[data-upload-status-url]");
  if (!root || !window.fetch) {
    return;
  }
  var url = root.getAttribute("data-upload-status-url");
  var initial = root.getAttribute("data-upload-status");
  var bar = root.querySelector("progress");
  var label = root.querySelector("[data-upload-progress-label]");

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        if (data.finished || data.status !== initial) {
          window.location.assign(data.url);
          return;
        }
        if (bar && data.rows_total && data.status === "importing") {
          bar.setAttribute("max", data.rows_total);
          bar.setAttribute("value", data.rows_processed);
        }
        if (label) {
          var importing = data.status === "importing" && data.rows_total;
          var text = importing && data.rows_processed >= data.rows_total
            ? "All " + data.rows_total.toLocaleString("en-GB") + " rows read: writing the records."
            : data.status_display + ": " + data.rows_processed.toLocaleString("en-GB") + " rows" +
              (importing ? " of " + data.rows_total.toLocaleString("en-GB") : "") + " processed.";
          if (label.textContent !== text) {
            label.textContent = text;
          }
        }
        window.setTimeout(poll, 2000);
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }
  window.setTimeout(poll, 2000);
})();
