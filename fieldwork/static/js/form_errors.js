// After the server refused a form: bring the first red message into view and put the cursor
// in its field, and let each line of the summary at the top jump to its field. Without
// JavaScript the summary is still at the top, with plain links.
(function () {
  "use strict";

  function controlFor(id) {
    return id ? document.getElementById(id) : null;
  }

  function show(control) {
    if (!control) return false;
    var box = control.closest(".field, fieldset, label") || control;
    box.scrollIntoView({ block: "center" });
    control.focus({ preventScroll: true });
    return true;
  }

  function firstInvalid(summary) {
    var links = summary.querySelectorAll("a[data-error-for]");
    for (var i = 0; i < links.length; i++) {
      var control = controlFor(links[i].getAttribute("data-error-for"));
      if (control) return control;
    }
    return null;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) return;
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-error-for]");
      if (link && show(controlFor(link.getAttribute("data-error-for")))) {
        event.preventDefault();
      }
    });
    if (!show(firstInvalid(summary))) summary.focus();
  });
})();

// A sheet's save bar sticks to the bottom of the screen once something is answered: before
// that there is nothing to save, and a stuck bar would only cover the last field in view.
(function () {
  "use strict";
  function answered(event) {
    var form = event.target && event.target.form;
    if (form) form.classList.add("answered");
  }
  document.addEventListener("input", answered);
  document.addEventListener("change", answered);
})();
