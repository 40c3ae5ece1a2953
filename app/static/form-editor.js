// Form editor: the task page's fields follow the JSON as it is typed (rendered by the server with the same field
// builder as the task page), half a second after the last keystroke.
(function () {
  "use strict";
  var form = document.getElementById("form-editor");
  if (!form) { return; }
  var out = document.getElementById("form-preview");
  var timer = null, seq = 0;

  function refresh() {
    var mine = ++seq;
    var body = new FormData();
    body.append("content", document.getElementById("form-content").value);
    body.append("ui", document.getElementById("form-ui").value);
    var token = document.querySelector('meta[name="csrf-token"]');
    fetch(form.dataset.previewUrl, { method: "POST", credentials: "same-origin", body: body,
      headers: { "X-CSRFToken": token ? token.content : "" } })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        if (mine !== seq) { return; }
        out.innerHTML = html;  // server-rendered template: every text in it is escaped
        out.setAttribute("data-rendered", String(mine));
      });
  }

  function later() { clearTimeout(timer); timer = setTimeout(refresh, 500); }
  document.getElementById("form-content").addEventListener("input", later);
  document.getElementById("form-ui").addEventListener("change", refresh);
  refresh();
})();
