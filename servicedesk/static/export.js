// Polls a background export and moves its progress bar; the page works without it.
(function () {
  "use strict";
  var box = document.getElementById("export");
  if (!box) { return; }
  var bar = document.getElementById("export-progress");
  var state = document.getElementById("export-state");
  var link = document.getElementById("export-download");
  function poll() {
    fetch(box.getAttribute("data-progress-url"), {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (p) {
        bar.max = p.total || 1;
        bar.value = p.done;
        state.setAttribute("data-status", p.status);
        if (p.status === "done") {
          state.textContent = state.getAttribute("data-ready") || "✓";
          link.classList.remove("d-none");
        } else if (p.status === "failed") {
          window.location.reload();  // the page says why, and offers to try again
        } else {
          state.textContent = p.done + " / " + p.total;
          window.setTimeout(poll, 700);
        }
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  var status = state.getAttribute("data-status");
  if (status === "pending" || status === "running") { poll(); }
}());
