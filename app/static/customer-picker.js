// The customer type-ahead of forms that pick a customer: an <input data-customer-suggest="URL"> holding the
// customer number. As the user types (debounced), up to 10 "name（no）" choices from URL?q= appear below it;
// arrow keys / Enter / Escape or the mouse pick one, which puts its number into the input and its name beside it.
// Without JavaScript the user types the number; the server checks it either way.
(function () {
  "use strict";
  var DELAY_MS = 200;

  function setup(input) {
    var url = input.getAttribute("data-customer-suggest");
    var list = document.createElement("ul");
    list.className = "suggest-list";
    list.id = input.id + "-suggestions";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    var chosen = document.createElement("span");
    chosen.className = "suggest-chosen muted";
    chosen.setAttribute("aria-live", "polite");
    chosen.textContent = input.getAttribute("data-chosen-name") || "";
    input.parentNode.insertBefore(list, input.nextSibling);
    input.parentNode.insertBefore(chosen, list.nextSibling);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("autocomplete", "off");

    var items = [], active = -1, timer = null, asked = 0;

    function close() {
      list.hidden = true;
      list.textContent = "";
      items = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(i) {
      var options = list.querySelectorAll("[role=option]");
      if (!options.length) { return; }
      active = (i + options.length) % options.length;
      for (var k = 0; k < options.length; k++) {
        options[k].setAttribute("aria-selected", k === active ? "true" : "false");
      }
      input.setAttribute("aria-activedescendant", options[active].id);
    }

    function pick(i) {
      var c = items[i];
      if (!c) { return; }
      input.value = c.no;
      chosen.textContent = c.name;
      close();
    }

    function show(found) {
      list.textContent = "";
      items = found;
      active = -1;
      if (!found.length) {
        var none = document.createElement("li");
        none.className = "suggest-none";
        none.textContent = input.getAttribute("data-none-text") || "";
        list.appendChild(none);
      }
      found.forEach(function (c, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.textContent = c.name + "（" + c.no + "）";  // textContent: names are shown as typed, never as HTML
        // mousedown, not click: it runs before the input's blur closes the list.
        li.addEventListener("mousedown", function (ev) { ev.preventDefault(); pick(i); });
        list.appendChild(li);
      });
      // Right under the input, over what follows (CSSOM: allowed under a CSP without 'unsafe-inline').
      list.style.top = (input.offsetTop + input.offsetHeight) + "px";
      list.style.left = input.offsetLeft + "px";
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function ask() {
      var q = input.value.trim();
      if (q.length < 1) { close(); return; }
      var mine = ++asked;
      fetch(url + "?q=" + encodeURIComponent(q), {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (found) { if (mine === asked) { show(found); } })  // a later keystroke's answer wins
        .catch(function () { close(); });
    }

    input.addEventListener("input", function () {
      chosen.textContent = "";
      clearTimeout(timer);
      timer = setTimeout(ask, DELAY_MS);
    });
    input.addEventListener("keydown", function (ev) {
      if (list.hidden) {
        if (ev.key === "ArrowDown") { ask(); ev.preventDefault(); }
        return;
      }
      if (ev.key === "ArrowDown") { highlight(active + 1); ev.preventDefault(); }
      else if (ev.key === "ArrowUp") { highlight(active - 1); ev.preventDefault(); }
      else if (ev.key === "Enter" && active >= 0) { pick(active); ev.preventDefault(); }
      else if (ev.key === "Escape") { close(); ev.preventDefault(); }
    });
    input.addEventListener("blur", close);
  }

  document.querySelectorAll("input[data-customer-suggest]").forEach(setup);
})();
