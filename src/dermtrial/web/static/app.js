// dermtrial: progressive enhancement only; every page works without this file.
(function () {
  "use strict";
  // The language menu applies itself when changed (the Apply button stays for keyboard and no-script use).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    var form = select.form;
    var button = form && form.querySelector("[data-autosubmit-button]");
    if (button) { button.hidden = true; }
    select.addEventListener("change", function () { form.submit(); });
  });
  // Warn two minutes before the idle timeout ends the session.
  var body = document.body;
  var minutes = parseInt(body.getAttribute("data-idle-minutes") || "0", 10);
  var banner = document.getElementById("idle-warning");
  if (body.getAttribute("data-signed-in") === "true" && minutes > 2 && banner) {
    window.setTimeout(function () {
      banner.textContent = (banner.getAttribute("data-message") || "").replace("__MIN__", "2");
      banner.hidden = false;
    }, (minutes - 2) * 60 * 1000);
  }
})();
