// dermtrial live score of a scored instrument on its form page (BSA, sPGA, DLQI, itch). The items entered are sent
// to /api/v1/scores/<instrument>, which scores them with dermtrial.instruments; this file only shows the answer (no
// clinical rule here). One request at a time; a change during a request is scored after it.
(function () {
  "use strict";
  var form = document.querySelector("form[data-score-instrument]");
  if (!form) { return; }
  var value = form.querySelector("[data-score-value]");
  var note = form.querySelector("[data-score-note]");
  var busy = false;
  var again = false;

  function items() {
    var out = {};
    form.querySelectorAll(".field[data-item]").forEach(function (field) {
      var code = field.getAttribute("data-item");
      var el = field.querySelector("input:checked, select, input[type=number]");
      var raw = el ? (el.value || "").trim() : "";
      out[code] = raw === "" ? null : raw;
    });
    return out;
  }
  function score() {
    if (busy) { again = true; return; }
    busy = true;
    form.setAttribute("data-score-state", "scoring");
    fetch(form.getAttribute("data-score-instrument"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": form.getAttribute("data-csrf") },
      body: JSON.stringify({ item_values: items() })
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (answer) {
      if (answer.ok) {
        value.textContent = answer.body.value === null ? "\u2014" : String(answer.body.value);
        note.textContent = answer.body.not_computable || "";
      } else {
        value.textContent = "\u2014";
        note.textContent = answer.body.error ? answer.body.error.message : "";
      }
    }).catch(function () {
      note.textContent = "";
    }).then(function () {
      busy = false;
      if (again) { again = false; score(); return; }
      form.setAttribute("data-score-state", "scored");
    });
  }
  form.addEventListener("input", function (event) { if (event.target.form === form) { score(); } });
  form.addEventListener("change", function (event) { if (event.target.form === form) { score(); } });
})();
