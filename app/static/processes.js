// bpmn-js viewer (instance and definition pages, with step highlighting) and modeler (the analyst's editor).
(function () {
  "use strict";
  function csrf() { var m = document.querySelector('meta[name="csrf-token"]'); return m ? m.content : ""; }

  function mark(canvas, registry, ids, cls) {
    (ids || "").split(",").filter(Boolean).forEach(function (id) {
      if (registry.get(id)) { canvas.addMarker(id, cls); }
    });
  }

  // Names in the user's language (lanes show role names, not codes): {model text: shown text} from the page.
  function relabel(viewer, labels) {
    var registry = viewer.get("elementRegistry"), events = viewer.get("eventBus"), renamed = [];
    registry.getAll().forEach(function (el) {
      var bo = el.businessObject;
      if (bo && bo.name && Object.prototype.hasOwnProperty.call(labels, bo.name) && renamed.indexOf(bo) < 0) {
        bo.name = labels[bo.name];
        renamed.push(bo);
      }
    });
    registry.getAll().forEach(function (el) {  // shapes and their external labels share the business object
      if (renamed.indexOf(el.businessObject) >= 0) { events.fire("element.changed", { element: el }); }
    });
  }

  var diagram = document.getElementById("diagram");
  if (diagram && window.BpmnJS) {
    var viewer = new window.BpmnJS({ container: diagram });
    fetch(diagram.dataset.xmlUrl, { credentials: "same-origin" }).then(function (r) { return r.text(); })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var canvas = viewer.get("canvas"), registry = viewer.get("elementRegistry");
        relabel(viewer, JSON.parse(diagram.dataset.labels || "{}"));
        canvas.zoom("fit-viewport");
        mark(canvas, registry, diagram.dataset.done, "highlight-done");
        mark(canvas, registry, diagram.dataset.current, "highlight-current");
        mark(canvas, registry, diagram.dataset.error, "highlight-error");
        diagram.setAttribute("data-rendered", "1");
      })
      .catch(function (err) { diagram.textContent = String(err); });
  }

  var host = document.getElementById("modeler");
  if (!host || !window.BpmnJS) { return; }
  // Keyboard shortcuts bind to the canvas by themselves since diagram-js 15 (an explicit bindTo is an error now).
  var modeler = new window.BpmnJS({ container: host });
  if (window.CrmPropertiesPanel) { window.CrmPropertiesPanel(modeler, document.getElementById("properties")); }
  var result = document.getElementById("editor-result");
  var filename = host.dataset.filename || null;

  function show(ok, lines, message) {
    result.className = ok ? "flash success" : "flash warning";
    result.innerHTML = "";
    var head = document.createElement("div");
    head.textContent = message || (ok ? host.dataset.ok : host.dataset.failed);
    result.appendChild(head);
    (lines || []).forEach(function (line) {
      var div = document.createElement("div"); div.className = "field-error"; div.textContent = line;
      result.appendChild(div);
    });
  }

  function post(url) {
    return modeler.saveXML({ format: true }).then(function (saved) {
      return fetch(url, { method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify({ xml: saved.xml, filename: filename }) });
    }).then(function (r) { return r.json(); });
  }

  var start = host.dataset.xmlUrl ? fetch(host.dataset.xmlUrl, { credentials: "same-origin" })
    .then(function (r) { return r.text(); }) : Promise.resolve(null);
  start.then(function (xml) { return xml ? modeler.importXML(xml) : modeler.createDiagram(); })
    .then(function () { modeler.get("canvas").zoom("fit-viewport"); host.setAttribute("data-rendered", "1"); })
    .catch(function (err) { show(false, [String(err)]); });

  document.getElementById("validate-model").addEventListener("click", function () {
    post(host.dataset.validateUrl).then(function (body) { show(body.ok, body.errors); });
  });
  document.getElementById("deploy-model").addEventListener("click", function () {
    post(host.dataset.deployUrl).then(function (body) { show(body.ok, body.errors, body.message); });
  });
  document.getElementById("download-model").addEventListener("click", function () {
    modeler.saveXML({ format: true }).then(function (saved) {
      var a = document.createElement("a");
      a.href = URL.createObjectURL(new Blob([saved.xml], { type: "application/xml" }));
      a.download = filename || "process.bpmn"; a.click();
    });
  });
  document.getElementById("open-model").addEventListener("change", function (ev) {
    var file = ev.target.files[0];
    if (!file) { return; }
    filename = file.name;
    file.text().then(function (xml) { return modeler.importXML(xml); })
      .then(function () { modeler.get("canvas").zoom("fit-viewport"); })
      .catch(function (err) { show(false, [String(err)]); });
  });
})();
