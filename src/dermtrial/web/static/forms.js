// dermtrial forms: progressive enhancement only. Without this file the form is saved by a normal POST.
// - Autosave: a changed form in progress is saved as a draft through the API (PUT .../drafts/<form>), with the
//   page's CSRF token; the version returned is kept for the next save and for the POST.
// - Skip conditions: an item with data-show-when is hidden while its condition does not hold (the server keeps
//   whatever is entered; hiding is a convenience).
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form) { return; }
  var integers = form.hasAttribute("data-whole-numbers");
  var status = form.querySelector("[data-autosave-status]");
  var versionInput = form.querySelector("[data-version]");
  var SKIP = { csrf_token: 1, version: 1, action: 1, reason: 1 };

  function values() {
    var out = {};
    var groups = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || el.disabled) { return; }
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { return; }
      var raw = (el.value || "").trim();
      if (raw === "") { return; }
      var value = raw === "true" ? true : raw === "false" ? false : raw;
      if (integers && /^\d+$/.test(raw)) { value = parseInt(raw, 10); }
      var row = /^(\w+)\.(\d+)\.(\w+)$/.exec(el.name);
      if (row) {
        groups[row[1]] = groups[row[1]] || {};
        groups[row[1]][row[2]] = groups[row[1]][row[2]] || {};
        groups[row[1]][row[2]][row[3]] = value;
        return;
      }
      if (el.type === "checkbox") { (out[el.name] = out[el.name] || []).push(value); return; }
      out[el.name] = value;
    });
    Object.keys(groups).forEach(function (g) {
      out[g] = Object.keys(groups[g]).sort(function (a, b) { return a - b; }).map(function (i) { return groups[g][i]; });
    });
    return out;
  }
  window.dermtrialFormValues = values;

  // One save at a time: a change during a save is saved after it, with the version it returned.
  var timer = null;
  var busy = false;
  var again = false;
  function save() {
    var state = form.getAttribute("data-status");
    if (state !== "not-started" && state !== "in-progress") { return; }
    if (busy) { again = true; return; }
    busy = true;
    form.setAttribute("data-autosave-state", "saving");
    var version = versionInput && versionInput.value ? parseInt(versionInput.value, 10) : null;
    fetch(form.getAttribute("data-autosave"), {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": form.getAttribute("data-csrf") },
      body: JSON.stringify({ item_values: values(), version: version })
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (answer) {
      if (answer.ok) {
        if (versionInput) { versionInput.value = String(answer.body.version); }
        form.setAttribute("data-status", answer.body.status);
        if (status) { status.textContent = status.getAttribute("data-saved") || ""; }
      } else if (status) {
        status.textContent = answer.body.error ? answer.body.error.message : "";
      }
    }).catch(function () {
      if (status) { status.textContent = ""; }
    }).then(function () {
      busy = false;
      if (again) { again = false; save(); return; }
      form.setAttribute("data-autosave-state", "saved");
    });
  }
  form.addEventListener("change", function (event) {
    if (event.target.form !== form) { return; }  // a control of another form inside this one (Raise query)
    window.clearTimeout(timer);
    timer = window.setTimeout(save, 400);
  });
  form.addEventListener("submit", function () { window.clearTimeout(timer); });

  // Skip conditions over items of this form.
  function current(code) {
    var checked = form.querySelector("[name='" + code + "']:checked");
    var el = checked || form.querySelector("[name='" + code + "']:not([type=radio]):not([type=checkbox])");
    if (!el || el.value === "") { return null; }
    return el.value === "true" ? true : el.value === "false" ? false : el.value;
  }
  function holds(c) {
    if (c.all) { return c.all.every(holds); }
    if (c.any) { return c.any.some(holds); }
    if (c.not) { return !holds(c.not); }
    if (String(c.item).indexOf(".") >= 0) { return true; }  // another form's item: ask it
    var v = current(c.item);
    switch (c.op) {
      case "present": return v !== null;
      case "absent": return v === null;
      case "==": return v !== null && String(v) === String(c.value);
      case "!=": return v === null || String(v) !== String(c.value);
      case "in": return v !== null && c.value.map(String).indexOf(String(v)) >= 0;
      case "not_in": return v === null || c.value.map(String).indexOf(String(v)) < 0;
      default: return true;  // comparisons of numbers: ask the item
    }
  }
  var conditional = form.querySelectorAll("[data-show-when]");
  function apply() {
    Array.prototype.forEach.call(conditional, function (el) {
      el.hidden = !holds(JSON.parse(el.getAttribute("data-show-when")));
    });
  }
  form.addEventListener("change", apply);
  apply();
})();
