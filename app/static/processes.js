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
        mark(canvas, registry, diagram.dataset.added, "diff-added");
        mark(canvas, registry, diagram.dataset.changed, "diff-changed");
        diagram.setAttribute("data-rendered", "1");
      })
      .catch(function (err) { diagram.textContent = String(err); });
  }

  var host = document.getElementById("modeler");
  if (!host || !window.BpmnJS) { return; }
  // Keyboard shortcuts bind to the canvas by themselves since diagram-js 15 (an explicit bindTo is an error now).
  var modeler = new window.BpmnJS({ container: host,
    additionalModules: window.CrmBpmnTranslate ? [window.CrmBpmnTranslate] : [] });
  host.crmModeler = modeler;  // for the browser tests, which model through bpmn-js's own API
  if (window.CrmPropertiesPanel) { window.CrmPropertiesPanel(modeler, document.getElementById("properties")); }
  var result = document.getElementById("editor-result");
  var filename = host.dataset.filename || null;
  var flagged = [], diffMarked = [];

  function clearFindings() {
    var canvas = modeler.get("canvas");
    modeler.get("overlays").remove({ type: "finding" });
    flagged.forEach(function (id) { if (modeler.get("elementRegistry").get(id)) { canvas.removeMarker(id, "has-finding"); } });
    flagged = [];
  }

  // Findings name the element they are about: mark it on the diagram, with the message on hover.
  function flag(findings) {
    clearFindings();
    var registry = modeler.get("elementRegistry"), canvas = modeler.get("canvas"), overlays = modeler.get("overlays");
    (findings || []).forEach(function (f) {
      if (!f.element_id || !registry.get(f.element_id)) { return; }
      var badge = document.createElement("span");
      badge.className = "finding-badge"; badge.textContent = "!"; badge.title = f.message;
      overlays.add(f.element_id, "finding", { position: { top: -10, right: 10 }, html: badge });
      if (flagged.indexOf(f.element_id) < 0) { canvas.addMarker(f.element_id, "has-finding"); flagged.push(f.element_id); }
    });
  }

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

  function showFindings(body) {
    flag(body.findings);
    show(body.ok, body.errors);
  }

  function post(url, extra) {
    return modeler.saveXML({ format: true }).then(function (saved) {
      var payload = { xml: saved.xml, filename: filename };
      Object.keys(extra || {}).forEach(function (k) { payload[k] = extra[k]; });
      return fetch(url, { method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify(payload) });
    }).then(function (r) { return r.json(); });
  }

  var start = host.dataset.xmlUrl ? fetch(host.dataset.xmlUrl, { credentials: "same-origin" })
    .then(function (r) { return r.text(); }) : Promise.resolve(null);
  start.then(function (xml) { return xml ? modeler.importXML(xml) : modeler.createDiagram(); })
    .then(function () { modeler.get("canvas").zoom("fit-viewport"); host.setAttribute("data-rendered", "1"); })
    .catch(function (err) { show(false, [String(err)]); });

  document.getElementById("validate-model").addEventListener("click", function () {
    post(host.dataset.validateUrl).then(showFindings);
  });

  // Deploying asks first: what changed against the running version (listed, and marked on the diagram) and a note.
  var dialog = document.getElementById("deploy-dialog");

  function clearDiff() {
    var canvas = modeler.get("canvas"), registry = modeler.get("elementRegistry");
    diffMarked.forEach(function (m) { if (registry.get(m[0])) { canvas.removeMarker(m[0], m[1]); } });
    diffMarked = [];
  }

  // "bpmn:UserTask" -> "User task", the way bpmn-js names it (and so translates it).
  function typeName(type) {
    var words = type.replace("bpmn:", "").replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
    return modeler.get("translate")(words.charAt(0).toUpperCase() + words.slice(1));
  }

  function fillList(id, items, marker) {
    var list = document.getElementById(id), registry = modeler.get("elementRegistry"), canvas = modeler.get("canvas");
    list.innerHTML = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.textContent = (item.name ? item.name + " " : "") + "(" + item.id + ", " + typeName(item.type) + ")";
      li.setAttribute("data-element-id", item.id);
      list.appendChild(li);
      if (marker && registry.get(item.id)) { canvas.addMarker(item.id, marker); diffMarked.push([item.id, marker]); }
    });
    list.parentNode.hidden = !items.length;
  }

  function openConfirmation(diff) {
    clearDiff();
    var base = document.getElementById("deploy-base");
    base.textContent = diff.base_version ? base.dataset.base.replace("{v}", diff.base_version) : base.dataset.new;
    fillList("diff-added", diff.added, "diff-added");
    fillList("diff-changed", diff.changed, "diff-changed");
    fillList("diff-removed", diff.removed, null);
    document.getElementById("diff-none").hidden = !!(diff.added.length + diff.changed.length + diff.removed.length) ||
      !diff.base_version;
    dialog.showModal();
    dialog.setAttribute("data-open", "1");
  }

  function closeConfirmation() {
    clearDiff();
    dialog.removeAttribute("data-open");
    dialog.close();
  }

  document.getElementById("deploy-model").addEventListener("click", function () {
    post(host.dataset.previewUrl).then(function (body) {
      if (!body.ok) { showFindings(body); return; }
      clearFindings();
      result.className = ""; result.innerHTML = "";
      openConfirmation(body.diff);
    });
  });
  document.getElementById("deploy-cancel").addEventListener("click", closeConfirmation);
  dialog.addEventListener("cancel", function () { clearDiff(); dialog.removeAttribute("data-open"); });
  document.getElementById("deploy-confirm").addEventListener("click", function () {
    var note = document.getElementById("deploy-note").value;
    post(host.dataset.deployUrl, { note: note }).then(function (body) {
      closeConfirmation();
      if (!body.ok) { showFindings(body); return; }
      document.getElementById("deploy-note").value = "";
      show(true, [], body.message);
      if (body.versions_url) {
        var a = document.createElement("a"); a.href = body.versions_url; a.id = "versions-link";
        a.textContent = result.dataset.versions || body.versions_url;
        result.appendChild(a);
      }
    });
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
      .then(function () { clearFindings(); modeler.get("canvas").zoom("fit-viewport"); })
      .catch(function (err) { show(false, [String(err)]); });
  });
})();
