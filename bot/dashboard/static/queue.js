// Refresh the queue table in place. The page works without this: the filter form and a reload do
// the same. A redirect (the session ended) reloads the page, which then shows the sign-in form.
(function () {
  "use strict";
  var box = document.getElementById("queue");
  if (!box || !window.fetch) { return; }
  var seconds = parseInt(box.getAttribute("data-refresh-seconds"), 10) || 30;
  function refresh() {
    fetch(box.getAttribute("data-refresh-url"), { credentials: "same-origin", redirect: "follow" })
      .then(function (response) {
        if (response.redirected || response.status === 401 || response.status === 403) {
          window.location.reload();
          return null;
        }
        return response.ok ? response.text() : null;
      })
      .then(function (html) { if (html !== null && html !== undefined) { box.innerHTML = html; } })
      .catch(function () { /* offline for a moment: try again next time */ });
  }
  window.setInterval(refresh, seconds * 1000);
}());
