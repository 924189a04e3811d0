// Enhancements only: every page works without this file. A "copy" button
// beside a secret shown once, and a confirmation before irreversible
// buttons (data-confirm on the form or the button).
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
  });
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var button = e.submitter;
    var question = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) e.preventDefault();
  }, true);
})();
