// bpmn-js in the user's language: the palette, context pad, replace menu and messages go through bpmn-js's
// `translate` service. Under the Chinese UI it reads bpmn-js-i18n's dictionary (vendor/bpmn-js-i18n/zh.js, from
// npm) with a few corrections in this project's vocabulary; English otherwise.
// Also: lanes are named by role codes in the model (the engine routes tasks by them); the editor draws the role's
// name instead, leaving the model's name (the code) as it is.
(function () {
  "use strict";
  var ZH_FIXES = {
    "Add lane above": "在上方添加泳道", "Add lane below": "在下方添加泳道", "Divide into two lanes": "拆分为两条泳道",
    "Divide into three lanes": "拆分为三条泳道", "Lane": "泳道", "Participant": "参与者",
    "Align elements": "对齐元素", "Toggle non-interrupting": "切换为非中断", "Change element": "更改元素",
    "Distribute elements horizontally": "水平均匀分布", "Distribute elements vertically": "垂直均匀分布",
    "Exclusive gateway": "排他网关", "Activate hand tool": "抓手工具", "Activate lasso tool": "框选工具",
    "Activate create/remove space tool": "插入/删除空间工具", "Activate global connect tool": "连线工具",
    "Boundary event": "边界事件", "Expanded pool/participant": "展开的池/参与者"
  };
  var zh = (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0;
  var dictionary = {};
  if (zh) {
    var base = window.BpmnJsI18nZh || {};
    Object.keys(base).forEach(function (k) { dictionary[k] = base[k]; });
    Object.keys(ZH_FIXES).forEach(function (k) { dictionary[k] = ZH_FIXES[k]; });
  }

  function translate(template, replacements) {
    replacements = replacements || {};
    var text = Object.prototype.hasOwnProperty.call(dictionary, template) ? dictionary[template] : template;
    return text.replace(/{([^}]+)}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(replacements, key) ? replacements[key] : whole;
    });
  }

  function roleNames() {
    var node = document.getElementById("editor-choices");
    if (!node) { return {}; }
    var names = {};
    (JSON.parse(node.textContent).roles || []).forEach(function (r) { names[r[0]] = r[1]; });
    return names;
  }

  function LaneLabels(eventBus, elementRegistry) {
    var names = roleNames();
    function show(element) {
      var bo = element && element.businessObject;
      if (!bo || !bo.$instanceOf || !bo.$instanceOf("bpmn:Lane") || !names[bo.name]) { return; }
      var gfx = elementRegistry.getGraphics(element);
      var spans = gfx ? gfx.querySelectorAll(".djs-visual text tspan") : [];
      if (!spans.length) { return; }
      spans[0].textContent = names[bo.name];
      for (var i = 1; i < spans.length; i++) { spans[i].textContent = ""; }
      gfx.setAttribute("data-role-code", bo.name);
    }
    eventBus.on("import.done", function () { elementRegistry.getAll().forEach(show); });
    eventBus.on("shape.changed", 250, function (e) { show(e.element); });
  }
  LaneLabels.$inject = ["eventBus", "elementRegistry"];

  window.CrmBpmnTranslate = { __init__: ["crmLaneLabels"], translate: ["value", translate],
                              crmLaneLabels: ["type", LaneLabels] };
})();
