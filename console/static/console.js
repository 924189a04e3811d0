// Enhancements only: every page works without this file. A "copy" button
// beside a secret shown once, and a confirmation before irreversible
// buttons (data-confirm on the form or the button), and the inbox's new
// messages put at the top of their lists as they arrive (Server-Sent
// Events of rendered items; the page has a refresh link without this).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("button.copy[data-copy]").forEach(function (b) {
      var target = document.getElementById(b.getAttribute("data-copy"));
      if (!target || !navigator.clipboard) return;
      b.hidden = false;
      b.addEventListener("click", function () {
        navigator.clipboard.writeText(target.textContent.trim());
      });
    });
    var live = document.querySelector("[data-live]");
    if (live && window.EventSource) {
      var source = new EventSource(live.getAttribute("data-live"));
      var status = document.getElementById("inbox-status");
      ["unmatched", "all"].forEach(function (kind) {
        source.addEventListener(kind, function (e) {
          var list = document.getElementById("list-" + kind);
          if (!list) return;
          list.insertAdjacentHTML("afterbegin", e.data);
          var empty = document.getElementById("empty-" + kind);
          if (empty) empty.hidden = true;
          if (status && kind === "all") status.textContent = live.getAttribute("data-new");
        });
      });
    }
  });
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var button = e.submitter;
    var question = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) e.preventDefault();
  }, true);
})();
