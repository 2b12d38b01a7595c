// Progressive enhancement of the SNA edition page while the worker builds it
// (templates/assessments/detail.html), following the upload progress page's pattern: without
// JavaScript a <noscript> meta refresh reloads the page; with it, this polls the JSON status URL,
// moves the progress bar in place and reloads the page once the worker has finished.
(function () {
  "use strict";
  var root = document.querySelector("[data-sna-status-url]");
  if (!root || !window.fetch) {
    return;
  }
  var url = root.getAttribute("data-sna-status-url");
  var bar = root.querySelector("progress");
  var label = root.querySelector("[data-sna-progress-label]");

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        if (data.finished) {
          window.location.assign(data.url);
          return;
        }
        if (bar) {
          bar.setAttribute("value", data.progress);
          bar.textContent = data.progress + "%";
        }
        if (label) {
          var text = (data.current_step || data.status_display) + " (" + data.progress + "% done)";
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
