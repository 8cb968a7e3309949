/*
 * Exclusive checkboxes ("None of these", "Prefer not to say"): progressive enhancement.
 *
 * Ticking an option marked data-behaviour="exclusive" unticks every other option of the
 * question; ticking any other option unticks the exclusive ones. Without JavaScript the
 * server still refuses an exclusive option ticked with another, with an error message.
 */
(function () {
  "use strict";

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
