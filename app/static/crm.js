// Shared page behaviour (no inline scripts: the pages run under a CSP without 'unsafe-inline').
(function () {
  "use strict";
  var body = document.body;
  var REQUIRED = body.getAttribute("data-msg-required") || "";
  var TOO_LONG = body.getAttribute("data-msg-too-long") || "";

  function fieldOf(el) { return el.closest(".field") || el.parentNode; }

  function say(el, cls, text) {
    var box = fieldOf(el), note = box.querySelector("." + cls);
    if (!text) { if (note) { note.remove(); } return; }
    if (!note) {
      note = document.createElement("div");
      note.className = "field-error " + cls;
      note.setAttribute("role", "alert");
      box.appendChild(note);
    }
    note.textContent = text;
  }

  // The required fields of a form the user is about to confirm: an empty one is said beside the field (the rule's
  // own wording) and no confirmation is asked; the server still checks everything.
  function requiredFilled(form) {
    var first = null;
    Array.prototype.forEach.call(form.querySelectorAll("[required]"), function (el) {
      var empty = el.type === "checkbox" || el.type === "radio" ? !form.querySelector("[name='" + el.name + "']:checked")
        : !String(el.value || "").trim();
      say(el, "js-required", empty ? REQUIRED : "");
      fieldOf(el).classList.toggle("has-error", empty);
      if (empty && !first) { first = el; }
    });
    if (first) { first.focus(); }
    return !first;
  }

  // Deletes and other destructive actions ask first, naming the record, once the input is valid.
  document.addEventListener("submit", function (ev) {
    var form = ev.target, msg = form.getAttribute("data-confirm");
    if (!msg) { return; }
    if (!requiredFilled(form) || !window.confirm(msg)) { ev.preventDefault(); }
  });

  // A length limit says so: a text area shows "typed / limit", and any field at its limit says the rule instead of
  // cutting the text silently.
  function counter(el) {
    var max = parseInt(el.getAttribute("maxlength"), 10);
    if (!(max > 0)) { return; }
    var shown = null;
    if (el.tagName === "TEXTAREA") {
      shown = document.createElement("div");
      shown.className = "char-count muted";
      el.insertAdjacentElement("afterend", shown);
    }
    function update() {
      var n = el.value.length;
      if (shown) { shown.textContent = n + " / " + max; }
      say(el, "js-too-long", n >= max ? TOO_LONG.replace("{n}", max) : "");
    }
    el.addEventListener("input", update);
    update();
  }
  Array.prototype.forEach.call(document.querySelectorAll("input[maxlength], textarea[maxlength]"), counter);
})();
