/* Page behaviour without inline script (the Content-Security-Policy allows none):
 * data-confirm="question" on a form asks before it is sent; data-autosubmit on a field sends
 * its form when it changes; data-print on a link prints the page. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  });
  document.addEventListener("change", function (event) {
    var field = event.target.closest("[data-autosubmit]");
    if (field && field.form) field.form.submit();
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-print]");
    if (!link) return;
    event.preventDefault();
    window.print();
  });
})();
