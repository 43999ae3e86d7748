// dermtrial lab entry: the CTCAE grade shown as the result is typed. The server grades it (safety core, the site's
// reference range, the baseline); this file only shows the answer. The unit menu keeps the chosen test's units.
(function () {
  "use strict";
  var form = document.querySelector("form[data-grade]");
  if (!form) { return; }
  var test = form.querySelector("#test_code");
  var unit = form.querySelector("#unit");
  var value = form.querySelector("#value");
  var when = form.querySelector("#collected_local");
  var out = form.querySelector("[data-lab-grade]");
  var detail = form.querySelector("[data-lab-detail]");
  var texts = form.querySelector("template[data-grade-texts]");
  var pending = 0;

  function units() {
    var code = test.value;
    var keep = null;
    unit.querySelectorAll("option").forEach(function (option) {
      var mine = option.getAttribute("data-test") === code;
      option.hidden = !mine;
      option.disabled = !mine;
      if (mine && (keep === null || option.selected)) { keep = option; }
    });
    if (keep && (unit.selectedOptions.length === 0 || unit.selectedOptions[0].disabled)) { keep.selected = true; }
  }
  function text(grade) {
    var key = grade === null ? "none" : String(grade);
    var found = texts && texts.content.querySelector("[data-g='" + key + "']");
    return found ? found.textContent : key;
  }
  function grade() {
    if (value.value.trim() === "" || when.value === "") { out.textContent = "—"; detail.textContent = ""; return; }
    var mine = ++pending;
    fetch(form.getAttribute("data-grade"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": form.getAttribute("data-csrf") },
      body: JSON.stringify({ test_code: test.value, value: value.value.trim(), unit: unit.value,
                             collected_local: when.value })
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (answer) {
      if (mine !== pending) { return; }
      if (!answer.ok) {
        out.textContent = "—";
        detail.textContent = answer.body.error ? answer.body.error.message : "";
        return;
      }
      var body = answer.body;
      out.textContent = text(body.grade);
      var parts = body.terms.map(function (term) {
        return term.term + ": " + (term.grade === null ? (term.reason || "—") : term.grade);
      });
      if (body.lln !== null || body.uln !== null) {
        parts.push((body.lln || "") + "–" + (body.uln || "") + " " + body.unit);
      } else if (body.range_reason) {
        parts.push(body.range_reason);
      }
      detail.textContent = parts.join(" · ");
    });
  }
  test.addEventListener("change", function () { units(); grade(); });
  unit.addEventListener("change", grade);
  value.addEventListener("input", grade);
  when.addEventListener("change", grade);
  units();
  grade();
})();
