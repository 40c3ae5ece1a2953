// The dictionary entry form: the type field suggests the types that already exist, so a new entry joins its type
// instead of a misspelt twin (absent on a locked entry's form, where only the English label changes).
(function () {
  "use strict";
  var list = document.getElementById("dictionary-types");
  if (!list) { return; }
  fetch(list.dataset.src, {credentials: "same-origin"}).then(function (r) { return r.ok ? r.json() : []; })
    .then(function (types) {
      types.forEach(function (t) { var o = document.createElement("option"); o.value = t; list.appendChild(o); });
    });
})();
