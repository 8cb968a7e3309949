/*
 * Forms: progressive enhancement. Without JavaScript everything still works as before.
 *
 * - Exclusive checkboxes ("None of these", "Prefer not to say"): ticking an option marked
 *   data-behaviour="exclusive" unticks every other option of the question; ticking any other
 *   option unticks the exclusive ones. (The server also refuses the combination.)
 * - A page shown again with errors puts the focus on its error summary. It is the answer to a
 *   POST, so its history entry is replaced by
 *   a plain one, so Back to it later loads the page instead of the browser asking to
 *   "Confirm form resubmission".
 */
(function () {
  "use strict";

  var summary = document.querySelector('[data-module="error-summary"]');
  if (summary) {
    // The summary has autofocus too; focusing it here makes sure a screen reader starts there.
    summary.focus();
    if (window.history.replaceState) {
      window.history.replaceState(null, "", window.location.href);
    }
  }

  function isExclusive(input) {
    return input.getAttribute("data-behaviour") === "exclusive";
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input || input.type !== "checkbox" || !input.checked || !input.form) {
      return;
    }
    var boxes = input.form.querySelectorAll('input[type="checkbox"]');
    Array.prototype.forEach.call(boxes, function (other) {
      if (other === input || other.name !== input.name) {
        return;
      }
      if (isExclusive(input) || isExclusive(other)) {
        other.checked = false;
      }
    });
  });
})();
