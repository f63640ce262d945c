// The claim page, better with JavaScript: instead of reloading every two seconds, listen to
// the server's events for this greeting and reload only when it moves to another phase.
// Served as a static file of the invites_greeting module (the pages allow no inline script).
/* global document, window, EventSource */
(function () {
  "use strict";
  var marker = document.querySelector("[data-greeting-events]");
  if (!marker || typeof EventSource === "undefined") return;
  var shown = marker.getAttribute("data-phase");
  var events = new EventSource(marker.getAttribute("data-greeting-events"));
  function reload() { events.close(); window.location.reload(); }
  events.addEventListener("phase", function (e) { if (e.data !== shown) reload(); });
  events.addEventListener("end", reload);
})();
