/* Behaviour every page may use, wired by data attributes (the Content-Security-Policy allows
   no inline scripts or event handlers):
   - <select data-autosubmit> submits its form when changed;
   - <form data-confirm="..."> asks before it is submitted. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("select[data-autosubmit]") && field.form) {
      field.form.submit();
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
