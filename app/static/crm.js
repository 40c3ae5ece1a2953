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
