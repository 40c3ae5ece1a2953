// A small properties panel for the BPMN editor: the settings the engine reads (name, lane role code, script,
// gateway condition, timer expression, task form, UI schema, assignee expression, service operation).
// spiffworkflow:* extension elements are kept as bpmn-moddle's generic elements (no descriptor), so extensions
// this panel does not know survive an edit untouched.
(function () {
  "use strict";
  var SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core";
  var LABELS = {};
  var CHOICES = { forms: [], roles: [], operations: [] };
  var TIMER_URL = null;
  function t(text) { return LABELS[text] || text; }

  // A picker over the known values; a value the model has that is not among them stays choosable (and marked), so
  // opening an element never changes it.
  function picker(values, current, missingLabel) {
    var list = [["", t("(none)")]].concat(values.map(function (v) { return Array.isArray(v) ? v : [v, v]; }));
    if (current && !list.some(function (c) { return c[0] === current; })) {
      list.push([current, current + " " + t(missingLabel || "(not registered)")]);
    }
    return list;
  }

  function is(bo, type) { return bo && bo.$instanceOf && bo.$instanceOf(type); }

  function extension(bo, type) {
    var values = (bo.extensionElements && bo.extensionElements.values) || [];
    for (var i = 0; i < values.length; i++) { if (values[i].$type === type) { return values[i]; } }
    return null;
  }

  function ensureExtension(moddle, bo, type) {
    var found = extension(bo, type);
    if (found) { return found; }
    if (!bo.extensionElements) {
      bo.extensionElements = moddle.create("bpmn:ExtensionElements", { values: [] });
      bo.extensionElements.$parent = bo;
    }
    found = moddle.createAny(type, SPIFF, {});
    found.$children = [];
    bo.extensionElements.values.push(found);
    return found;
  }

  function getProperty(bo, name) {
    var props = extension(bo, "spiffworkflow:properties");
    var hit = props && (props.$children || []).filter(function (c) { return c.name === name; })[0];
    return hit ? hit.value || "" : "";
  }

  function setProperty(moddle, bo, name, value) {
    var props = ensureExtension(moddle, bo, "spiffworkflow:properties");
    props.$children = (props.$children || []).filter(function (c) { return c.name !== name; });
    if (value) {
      var prop = moddle.createAny("spiffworkflow:property", SPIFF, { name: name, value: value });
      props.$children.push(prop);
    }
  }

  function timerDefinition(bo) {
    return (bo.eventDefinitions || []).filter(function (d) { return is(d, "bpmn:TimerEventDefinition"); })[0];
  }

  function fieldsFor(element) {
    var bo = element.businessObject, fields = [];
    fields.push({ key: "id", label: "ID", value: bo.id, readonly: true });
    if (is(bo, "bpmn:Lane")) {
      fields.push({ key: "name", label: "Role (lane)", value: bo.name || "",
                    choices: picker(CHOICES.roles.map(function (r) { return [r[0], r[1] + " (" + r[0] + ")"]; }),
                                    bo.name) });
    } else {
      fields.push({ key: "name", label: "Name", value: bo.name || "" });
    }
    if (is(bo, "bpmn:UserTask")) {
      var formName = getProperty(bo, "formJsonSchemaFilename"), uiName = getProperty(bo, "formUiSchemaFilename");
      fields.push({ key: "prop:formJsonSchemaFilename", label: "Form (forms/*.json)", value: formName,
                    choices: picker(CHOICES.forms, formName) });
      fields.push({ key: "prop:formUiSchemaFilename", label: "UI schema", value: uiName,
                    choices: picker(CHOICES.forms, uiName) });
      fields.push({ key: "prop:assignee", label: "Assignee (expression giving a user id)",
                    value: getProperty(bo, "assignee") });
    }
    if (is(bo, "bpmn:ScriptTask")) {
      fields.push({ key: "script", label: "Script (Python, sandboxed)", value: bo.script || "", area: true });
    }
    if (is(bo, "bpmn:ServiceTask")) {
      var op = extension(bo, "spiffworkflow:serviceTaskOperator");
      fields.push({ key: "operation", label: "Service operation", value: (op && op.id) || "",
                    choices: picker(CHOICES.operations, op && op.id) });
      fields.push({ key: "resultVariable", label: "Result variable", value: (op && op.resultVariable) || "" });
    }
    if (is(bo, "bpmn:SequenceFlow") && bo.sourceRef && (is(bo.sourceRef, "bpmn:ExclusiveGateway") ||
        is(bo.sourceRef, "bpmn:InclusiveGateway"))) {
      fields.push({ key: "condition", label: "Condition (Python expression)",
                    value: (bo.conditionExpression && bo.conditionExpression.body) || "" });
    }
    var timer = timerDefinition(bo);
    if (timer) {
      var kind = timer.timeDate ? "timeDate" : (timer.timeCycle ? "timeCycle" : "timeDuration");
      fields.push({ key: "timerKind", label: "Timer", value: kind,
                    choices: [["timeDuration", "Duration"], ["timeDate", "Date"], ["timeCycle", "Cycle"]] });
      fields.push({ key: "timerValue", label: "Timer expression (quoted ISO 8601, e.g. 'P3D')",
                    value: (timer[kind] && timer[kind].body) || "", preview: true,
                    suggestions: kind === "timeDuration" ? ['"PT1H"', '"PT4H"', '"PT8H"', '"P1D"', '"P2D"', '"P3D"', '"P1W"'] :
                      (kind === "timeCycle" ? ['"R/P1D"', '"R3/PT1H"', '"R/P1W"'] : []) });
    }
    return fields;
  }

  function apply(modeler, element, key, value, form) {
    var modeling = modeler.get("modeling"), moddle = modeler.get("moddle"), bo = element.businessObject;
    if (key === "name") { modeling.updateProperties(element, { name: value || undefined }); return; }
    if (key === "script") { modeling.updateProperties(element, { script: value }); return; }
    if (key === "condition") {
      modeling.updateProperties(element, { conditionExpression: value ?
        moddle.create("bpmn:FormalExpression", { body: value }) : undefined });
      return;
    }
    if (key.indexOf("prop:") === 0) { setProperty(moddle, bo, key.slice(5), value); }
    if (key === "operation" || key === "resultVariable") {
      var op = ensureExtension(moddle, bo, "spiffworkflow:serviceTaskOperator");
      op[key === "operation" ? "id" : "resultVariable"] = value;
    }
    if (key === "timerKind" || key === "timerValue") {
      var timer = timerDefinition(bo);
      var kind = form.querySelector("[name=timerKind]").value;
      var body = form.querySelector("[name=timerValue]").value;
      ["timeDuration", "timeDate", "timeCycle"].forEach(function (k) { timer[k] = undefined; });
      timer[kind] = moddle.create("bpmn:FormalExpression", { body: body });
    }
    // extension edits bypass the command stack: tell listeners the element changed
    modeler.get("eventBus").fire("elements.changed", { elements: [element] });
  }

  function render(modeler, panel, element) {
    panel.innerHTML = "";
    if (!element) { panel.textContent = panel.dataset.empty || ""; return; }
    var form = document.createElement("form");
    form.className = "panel-form";
    fieldsFor(element).forEach(function (f) {
      var wrap = document.createElement("label");
      wrap.className = "field";
      wrap.appendChild(document.createTextNode(t(f.label)));
      var input;
      if (f.choices) {
        input = document.createElement("select");
        f.choices.forEach(function (c) {
          var o = document.createElement("option"); o.value = c[0]; o.textContent = t(c[1]);
          if (c[0] === f.value) { o.selected = true; }
          input.appendChild(o);
        });
      } else if (f.area) {
        input = document.createElement("textarea"); input.rows = 8; input.value = f.value;
      } else {
        input = document.createElement("input"); input.type = "text"; input.value = f.value;
      }
      input.name = f.key;
      input.readOnly = !!f.readonly;
      if (f.suggestions && f.suggestions.length) {  // common values to pick; any expression can still be typed
        var list = document.createElement("datalist");
        list.id = "suggest-" + f.key;
        f.suggestions.forEach(function (v) { var o = document.createElement("option"); o.value = v; list.appendChild(o); });
        wrap.appendChild(list);
        input.setAttribute("list", list.id);
      }
      if (!f.readonly) {
        input.addEventListener("change", function () { apply(modeler, element, f.key, input.value, form); });
      }
      wrap.appendChild(input);
      form.appendChild(wrap);
      if (f.preview) {
        var out = document.createElement("div");
        out.className = "timer-preview muted";
        out.setAttribute("role", "status");
        wrap.appendChild(out);
        var refresh = function () { previewTimer(form, out); };
        input.addEventListener("input", refresh);
        form.querySelector("[name=timerKind]").addEventListener("change", refresh);
        refresh();
      }
    });
    panel.appendChild(form);
  }

  // When the timer would fire if it started now, asked from the server (the same parser the engine uses).
  var previewSeq = 0;
  function previewTimer(form, out) {
    if (!TIMER_URL) { return; }
    var seq = ++previewSeq;
    var token = document.querySelector('meta[name="csrf-token"]');
    fetch(TIMER_URL, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token ? token.content : "" },
      body: JSON.stringify({ kind: form.querySelector("[name=timerKind]").value,
                             expression: form.querySelector("[name=timerValue]").value }) })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        if (seq !== previewSeq) { return; }
        out.textContent = body.message || "";
        out.className = "timer-preview " + (body.ok ? "muted" : "field-error");
      });
  }

  window.CrmPropertiesPanel = function (modeler, panel) {
    if (!panel) { return; }
    var labels = document.getElementById("panel-labels");
    LABELS = labels ? JSON.parse(labels.textContent) : {};
    var choices = document.getElementById("editor-choices");
    if (choices) { CHOICES = JSON.parse(choices.textContent); }
    TIMER_URL = panel.dataset.timerUrl || null;
    var current = null;
    modeler.on("selection.changed", function (e) {
      current = e.newSelection.length === 1 ? e.newSelection[0] : null;
      render(modeler, panel, current);
    });
    modeler.on("element.changed", function (e) {
      if (current && e.element === current && !panel.contains(document.activeElement)) {
        render(modeler, panel, current);
      }
    });
    render(modeler, panel, null);
  };
})();
