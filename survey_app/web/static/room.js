// The "show to the room" page: ask for the session's response count every few seconds and
// show it, without reloading the page. Only the count (and whether the form is open) is sent.
(function () {
  "use strict";
  var body = document.body;
  var url = body.getAttribute("data-count-url");
  var count = document.getElementById("room-count");
  var word = document.getElementById("room-count-word");
  if (!url || !count || !word || !window.fetch) {
    return;
  }
  var shown = count.textContent;
  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (!data) {
          return;
        }
        var text = data.count.toLocaleString("en-GB");
        if (text !== shown) {
          count.textContent = text;
          word.textContent = data.count === 1 ? "response" : "responses";
          shown = text;
        }
        if (data.state === "closed") {
          window.clearInterval(timer);
        }
      })
      .catch(function () {
        // The network dropped for a moment: try again at the next tick.
      });
  }
  var timer = window.setInterval(refresh, 5000);
})();
