// Deletes and other destructive actions ask first, naming the record.
document.addEventListener("submit", function (ev) {
  var msg = ev.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) { ev.preventDefault(); }
});

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
