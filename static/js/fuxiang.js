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
/* A form that came back with errors (templates/_error_summary.html): the summary at the top
   lists them; once the page has loaded it scrolls to the first field in error, and a summary
   link focuses its field. */
(function () {
  "use strict";
  function scrollTo(element) {  /* a third of the screen down: its label shows above it */
    var top = element.getBoundingClientRect().top + window.scrollY - window.innerHeight / 3;
    window.scrollTo({top: Math.max(0, top), left: 0, behavior: "instant"});  /* not Bootstrap's smooth scroll */
  }
  function toFirstError() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) { return; }
    var first = document.querySelector("[aria-invalid=true], .invalid-feedback");
    if (first) { scrollTo(first); }
    summary.setAttribute("data-scrolled", "true");
  }
  if (document.readyState === "complete") { toFirstError(); } else { window.addEventListener("load", toFirstError); }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-error-summary] a[href^='#']");
    var field = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!field) { return; }
    event.preventDefault();
    scrollTo(field);
    field.focus({preventScroll: true});
  });
})();
