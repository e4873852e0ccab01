/* Keyboard shortcuts of the cases pages (no inline script: the CSP allows none).
 * The list: j / k select the next / previous case, Enter opens it, a assigns it to me,
 * r opens its reply form, e resolves it. The case page: a, r (focus the reply), e. */
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-case-list] [data-case-url]"));
  var current = rows.length ? 0 : -1;
  function mark() {
    rows.forEach(function (row, i) { row.classList.toggle("selected", i === current); });
    if (current >= 0) rows[current].setAttribute("aria-selected", "true");
  }
  function submit(scope, key) {
    var form = scope.querySelector("form[data-key='" + key + "']");
    if (form) form.querySelector("button").click();
  }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target.closest("input, textarea, select, [contenteditable]")) return;
    var key = event.key;
    if (rows.length) {
      if (key === "j" || key === "k") {
        current = Math.max(0, Math.min(rows.length - 1, current + (key === "j" ? 1 : -1)));
        mark();
      } else if (key === "Enter" && current >= 0) {
        window.location = rows[current].getAttribute("data-case-url");
      } else if (key === "r" && current >= 0) {
        window.location = rows[current].getAttribute("data-case-url") + "#reply";
      } else if ((key === "a" || key === "e") && current >= 0) {
        submit(rows[current], key);
      } else {
        return;
      }
      event.preventDefault();
      return;
    }
    if (key === "r") {
      var reply = document.getElementById("reply-body");
      if (reply) { reply.focus(); event.preventDefault(); }
    } else if (key === "a" || key === "e") {
      submit(document, key);
      event.preventDefault();
    }
  });
  mark();
  window.addEventListener("load", function () {
    // after the browser has scrolled to the #reply anchor, which would take the focus back
    var body = document.getElementById("reply-body");
    if (body && window.location.hash === "#reply") body.focus();
  });
})();
