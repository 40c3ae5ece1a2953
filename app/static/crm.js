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

// No inline handlers (the Content-Security-Policy refuses them): behaviour hangs on data attributes.
document.addEventListener("change", function (ev) {
  if (ev.target.hasAttribute && ev.target.hasAttribute("data-autosubmit") && ev.target.form) { ev.target.form.submit(); }
});
document.addEventListener("click", function (ev) {
  var link = ev.target.closest && ev.target.closest("a[data-history-back]");
  if (link && window.history.length > 1) { ev.preventDefault(); window.history.back(); }
});

// A POST form in flight shows its submit buttons busy (disabled, "working…") so a second click cannot post it
// again; the server's one-time form token (app/common/idempotency.py) answers any post that gets through anyway.
// Buttons are disabled only after the submit event, once the browser has taken the form's data (a disabled
// submitter would drop its own name=value), and only when no other handler stopped the submission.
(function () {
  "use strict";
  function busyLabel() { return document.body.getAttribute("data-busy-label") || "…"; }

  function buttons(form) {
    return Array.prototype.slice.call(form.querySelectorAll('button[type="submit"], button:not([type]), input[type="submit"]'));
  }

  function setBusy(form, submitter) {
    form.setAttribute("data-busy", "1");
    form.setAttribute("aria-busy", "true");
    buttons(form).forEach(function (b) {
      b.disabled = true;
      if (b === submitter || (!submitter && b === buttons(form)[0])) {
        b.setAttribute("data-label", b.tagName === "INPUT" ? b.value : b.textContent);
        if (b.tagName === "INPUT") { b.value = busyLabel(); } else { b.textContent = busyLabel(); }
        b.classList.add("busy");
      }
    });
  }

  function clearBusy(form) {
    form.removeAttribute("data-busy");
    form.removeAttribute("aria-busy");
    buttons(form).forEach(function (b) {
      b.disabled = false;
      var label = b.getAttribute("data-label");
      if (label !== null) {
        if (b.tagName === "INPUT") { b.value = label; } else { b.textContent = label; }
        b.removeAttribute("data-label");
      }
      b.classList.remove("busy");
    });
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") { return; }
    if (form.getAttribute("data-busy")) { ev.preventDefault(); return; }  // an Enter or click while in flight
    var submitter = ev.submitter || null;
    window.setTimeout(function () {
      if (!ev.defaultPrevented) { setBusy(form, submitter); }
    }, 0);
  });

  // Back (or forward) to a page kept in the browser's cache: its forms are usable again.
  window.addEventListener("pageshow", function () {
    Array.prototype.forEach.call(document.querySelectorAll('form[data-busy]'), clearBusy);
  });
})();
