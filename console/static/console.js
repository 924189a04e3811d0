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
// Sends: a send's page follows its figures live (Server-Sent Events from
// data-events); each cell names the progress fields it sums (data-of).
// Without this the page shows the figures at load and a refresh link.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var kept = window.sessionStorage && sessionStorage.getItem("mhero-flash");
    if (kept) {
      sessionStorage.removeItem("mhero-flash");
      var main = document.querySelector("main");
      if (main && !document.querySelector(".flash")) {
        var p = document.createElement("p");
        p.className = "flash";
        p.setAttribute("role", "status");
        p.textContent = kept;
        main.insertBefore(p, main.firstChild);
      }
    }
    var root = document.querySelector("[data-events]");
    if (!root || !window.EventSource) return;
    var state = root.querySelector("[data-state]");
    if (state && /^(completed|cancelled|failed)$/.test(state.getAttribute("data-state"))) return;
    var fmt = new Intl.NumberFormat(document.documentElement.lang);
    function sum(p, fields) {
      return fields.split(" ").reduce(function (t, f) { return t + (p[f] || 0); }, 0);
    }
    function fill(scope, p, max) {
      scope.querySelectorAll("[data-of]").forEach(function (e) {
        var n = sum(p, e.getAttribute("data-of"));
        if (e.tagName === "PROGRESS") { e.max = Math.max(max, 1); e.value = n; } else { e.textContent = fmt.format(n); }
      });
    }
    var live = root.querySelector(".live");
    var es = new EventSource(root.getAttribute("data-events"));
    es.addEventListener("funnel", function (ev) {
      var d = JSON.parse(ev.data);
      var p = d.progress || {};
      var total = p.total !== undefined ? p.total : (d.contact_count || 0);
      root.querySelector("[data-total]").textContent = fmt.format(total);
      fill(root.querySelector("[data-funnel]"), p, total);
      (d.per_link || []).forEach(function (l) {
        var row = root.querySelector('tr[data-link="' + CSS.escape(l.link) + '"]');
        if (row) fill(row, l.progress, 0);
      });
      if (state && d.state !== state.getAttribute("data-state")) {
        // Another state offers other buttons: the page again, keeping
        // the message the last action left (it is shown only once).
        es.close();
        var flash = document.querySelector(".flash");
        if (flash && window.sessionStorage) sessionStorage.setItem("mhero-flash", flash.textContent);
        window.location.reload();
        return;
      }
      // Live, and showing what the send is now.
      if (live) live.hidden = false;
    });
    es.addEventListener("error", function () { if (live) live.hidden = true; });
  });
})();
