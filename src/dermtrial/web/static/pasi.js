// dermtrial PASI: the live score. The items entered are sent to /api/v1/scores/pasi, which scores them with
// dermtrial.instruments.pasi; this file only shows the answer (the clinical rule is not repeated here).
(function () {
  "use strict";
  var form = document.querySelector("form[data-score]");
  if (!form) { return; }
  var total = form.querySelector("[data-pasi-total]");
  var missing = form.querySelector("[data-pasi-missing]");
  var flags = form.querySelector("[data-pasi-flags]");
  var texts = form.querySelector("template[data-flag-texts]");
  var pending = 0;

  function items() {
    var out = {};
    form.querySelectorAll(".pasi-grid input[name]").forEach(function (el) {
      var raw = el.value.trim();
      out[el.name] = /^\d+$/.test(raw) ? parseInt(raw, 10) : null;
    });
    return out;
  }
  function flagText(flag) {
    var found = texts && texts.content.querySelector(
      "[data-region='" + flag.region + "'][data-problem='" + flag.problem + "']");
    return found ? found.textContent : flag.region + ": " + flag.problem;
  }
  function show(body) {
    total.textContent = body.pasi.toFixed(1);
    Object.keys(body.regions).forEach(function (region) {
      var out = form.querySelector("[data-subtotal='" + region + "']");
      if (out) { out.textContent = body.regions[region].toFixed(1); }
    });
    missing.hidden = body.missing.length === 0;
    missing.textContent = (missing.getAttribute("data-template") || "").replace("__N__", String(body.missing.length));
    flags.textContent = "";
    body.flags.forEach(function (flag) {
      var li = document.createElement("li");
      li.className = "error";
      li.setAttribute("data-flag", flag.region + ":" + flag.problem);
      li.textContent = flagText(flag);
      flags.appendChild(li);
    });
  }
  function score() {
    var mine = ++pending;
    fetch(form.getAttribute("data-score"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": form.getAttribute("data-csrf") },
      body: JSON.stringify({ item_values: items() })
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (answer) {
      if (mine !== pending) { return; }  // a later entry's answer wins
      if (answer.ok) { show(answer.body); return; }
      total.textContent = "—";
      missing.hidden = false;
      missing.textContent = answer.body.error ? answer.body.error.message : "";
    });
  }
  form.addEventListener("input", score);
  score();
})();
