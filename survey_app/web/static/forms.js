/*
 * Forms: progressive enhancement. Without JavaScript everything still works as before.
 *
 * - Exclusive checkboxes ("None of these", "Prefer not to say"): ticking an option marked
 *   data-behaviour="exclusive" unticks every other option of the question; ticking any other
 *   option unticks the exclusive ones. (The server also refuses the combination.)
 * - A page shown again with errors is the answer to a POST: its history entry is replaced by
 *   a plain one, so Back to it later loads the page instead of the browser asking to
 *   "Confirm form resubmission".
 */
(function () {
  "use strict";

  if (document.querySelector('[data-module="error-summary"]') && window.history.replaceState) {
    window.history.replaceState(null, "", window.location.href);
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
