/*
 * Exit this page: progressive enhancement for the plain link in base.html.
 *
 * Without JavaScript the "Exit this page" link simply goes to the exit URL. With it:
 * - pressing Shift three times within a few seconds (no other key in between) leaves too;
 * - leaving blanks the page at once and replaces the history entry, so Back does not
 *   show the survey again;
 * - a survey page restored from the back/forward cache is loaded again from the server.
 * The survey's forms have autocomplete="off", so the browser does not put earlier answers
 * back into a page reached through its history either.
 * Nothing is sent anywhere and nothing is stored.
 */
(function () {
  "use strict";

  var PRESSES_NEEDED = 3;
  var WINDOW_MS = 5000;
  var SELECTOR = '[data-module="cd-exit-this-page"] a[href]';

  var presses = 0;
  var timer = null;
  var status = null;

  function exitLink() {
    return document.querySelector(SELECTOR);
  }

  function announce(text) {
    var link = exitLink();
    if (!link) {
      return;
    }
    if (!status) {
      status = document.createElement("span");
      status.className = "cd-visually-hidden";
      status.setAttribute("role", "status");
      link.parentNode.appendChild(status);
    }
    status.textContent = text;
  }

  function reset() {
    if (presses > 0) {
      announce("");
    }
    presses = 0;
    if (timer) {
      window.clearTimeout(timer);
      timer = null;
    }
  }

  function leave(url) {
    document.documentElement.className += " cd-exiting";
    window.location.replace(url);
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Shift") {
      reset();
      return;
    }
    if (event.repeat) {
      return;
    }
    var link = exitLink();
    if (!link) {
      return;
    }
    presses += 1;
    if (!timer) {
      timer = window.setTimeout(reset, WINDOW_MS);
    }
    if (presses >= PRESSES_NEEDED) {
      reset();
      leave(link.href);
      return;
    }
    var left = PRESSES_NEEDED - presses;
    announce("Shift, press " + left + " more " + (left === 1 ? "time" : "times") + " to exit.");
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    var link = target && target.closest ? target.closest(SELECTOR) : null;
    if (!link || event.defaultPrevented || event.button !== 0 ||
        event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    leave(link.href);
  });

  // If the browser restores this page from its back/forward cache, show it again -- and a
  // page with answers is fetched afresh, so it shows what the server still holds (nothing,
  // after Exit), never answers kept in the browser's history.
  window.addEventListener("pageshow", function (event) {
    document.documentElement.className =
      document.documentElement.className.replace(/\s*\bcd-exiting\b/g, "");
    if (event.persisted && document.querySelector('form[autocomplete="off"]')) {
      window.location.reload();
    }
  });
})();
