// dermtrial infusion record: the dose computed from the weight, shown as it is typed. The server computes it
// (/api/v1/subjects/{id}/dose, the protocol's dose, caps and rounding); this file only shows the answer.
(function () {
  "use strict";
  var form = document.querySelector("form[data-dose]");
  if (!form) { return; }
  var weight = form.querySelector("#weight_kg");
  var given = form.querySelector("#dose_given");
  var out = form.querySelector("[data-dose-computed]");
  var detail = form.querySelector("[data-dose-detail]");
  var pending = 0;
  var SUP = { "0": "\u2070", "1": "\u00b9", "2": "\u00b2", "3": "\u00b3", "4": "\u2074", "5": "\u2075",
              "6": "\u2076", "7": "\u2077", "8": "\u2078", "9": "\u2079", "-": "\u207b" };
  // 125000000 -> "1.25 × 10⁸" (display only; the exact number is in data-value and the detail line)
  function scientific(text) {
    var parts = Number(text).toExponential().split("e");
    var exponent = parts[1].replace("+", "");
    if (exponent === "0") { return parts[0]; }
    return parts[0] + " \u00d7 10" + exponent.split("").map(function (c) { return SUP[c] || c; }).join("");
  }
  function update() {
    var w = weight.value.trim();
    if (w === "") { out.textContent = "—"; detail.textContent = ""; return; }
    var body = { weight_kg: w };
    if (given.value.trim() !== "") { body.dose_given = given.value.trim(); }
    var mine = ++pending;
    fetch(form.getAttribute("data-dose"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": form.getAttribute("data-csrf") },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, body: data }; });
    }).then(function (answer) {
      if (mine !== pending) { return; }
      if (!answer.ok) {
        out.textContent = "—";
        detail.textContent = answer.body.error ? answer.body.error.message : "";
        return;
      }
      var d = answer.body;
      out.textContent = scientific(d.computed_dose) + " " + d.unit;
      out.setAttribute("data-value", d.computed_dose);
      var parts = [d.computed_dose + " " + d.unit];
      if (d.capped) { parts.push(d.capped + " cap"); }
      if (d.within_tolerance === true) { parts.push(detail.getAttribute("data-within") + " (" + d.difference_percent + " %)"); }
      if (d.within_tolerance === false) { parts.push(detail.getAttribute("data-outside") + " (" + d.difference_percent + " %)"); }
      detail.textContent = parts.join(" · ");
    });
  }
  weight.addEventListener("input", update);
  given.addEventListener("input", update);
  update();
})();
