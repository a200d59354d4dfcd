/* forms_engine.js: instant show/hide of conditional fields and add/remove of repeatable rows.
   Optional: without it the server re-renders (hidden fields are dropped on parse). */
(function () {
  "use strict";

  function valueOf(form, name) {
    var els = form.querySelectorAll('[name="' + CSS.escape(name) + '"]');
    var values = [];
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var wrap = el.closest(".fe-field");
      if (wrap && wrap.hidden) return null; // a hidden controller is absent
      if (el.type === "checkbox" && els.length === 1 && el.value === "true") {
        return el.disabled ? null : (el.checked ? "true" : "false");
      }
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) values.push(el.value);
      } else if (el.tagName === "SELECT" && el.multiple) {
        for (var j = 0; j < el.options.length; j++) {
          if (el.options[j].selected) values.push(el.options[j].value);
        }
      } else if (el.value !== "" && el.type !== "hidden") {
        values.push(el.value);
      } else if (el.type === "hidden" && el.value !== "") {
        values.push(el.value);
      }
    }
    return values.length ? values[0] : null;
  }

  function testOk(form, t) {
    var v = valueOf(form, t.f);
    if (t.present) return v !== null;
    if (v === null) return !t.req;
    return t.in.indexOf(v) >= 0;
  }

  function active(form, alt) {
    var all = true;
    for (var i = 0; i < alt.all.length; i++) {
      if (!testOk(form, alt.all[i])) { all = false; break; }
    }
    return alt.neg ? !all : all;
  }

  function refresh(form) {
    var wraps = form.querySelectorAll("[data-fe-show]");
    for (var pass = 0; pass < 4; pass++) {
      var changed = false;
      for (var i = 0; i < wraps.length; i++) {
        var w = wraps[i];
        if (w.closest("template")) continue;
        var alts = JSON.parse(w.getAttribute("data-fe-show"));
        var show = false;
        for (var k = 0; k < alts.length; k++) {
          if (active(form, alts[k])) { show = true; break; }
        }
        if (w.hidden === show) { w.hidden = !show; changed = true; }
      }
      if (!changed) break;
    }
  }

  function addRow(form, button) {
    var name = button.getAttribute("data-fe-add");
    var tpl = form.querySelector('template[data-fe-template="' + CSS.escape(name) + '"]');
    var next = parseInt(button.getAttribute("data-fe-next"), 10);
    var max = parseInt(button.getAttribute("data-fe-max"), 10);
    var rows = button.parentNode.querySelector(".fe-rows");
    if (!tpl || !rows || rows.children.length >= max) return;
    var html = tpl.innerHTML.split("__INDEX__").join(String(next))
      .split("__NUMBER__").join(String(next + 1));
    rows.insertAdjacentHTML("beforeend", html);
    button.setAttribute("data-fe-next", String(next + 1));
    if (rows.children.length >= max) button.disabled = true;
    refresh(form);
  }

  function init(form) {
    var buttons = form.querySelectorAll("[data-fe-add]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].hidden = false;
      buttons[i].addEventListener("click", function (ev) { addRow(form, ev.currentTarget); });
    }
    form.addEventListener("change", function () { refresh(form); });
    form.addEventListener("input", function () { refresh(form); });
    var summary = form.querySelector(".fe-summary");
    if (summary) {
      summary.focus();
      // A link of the summary puts the cursor in its field, not only the page at it.
      var links = summary.querySelectorAll("a[href^='#']");
      for (var j = 0; j < links.length; j++) {
        links[j].addEventListener("click", function (ev) {
          var target = document.getElementById(ev.currentTarget.getAttribute("href").slice(1));
          if (!target) return;
          var input = target.matches("input, select, textarea")
            ? target : target.querySelector("input, select, textarea");
          if (input) { ev.preventDefault(); input.focus(); input.scrollIntoView({block: "center"}); }
        });
      }
    }
    refresh(form);
  }

  function start() {
    var fields = document.querySelectorAll(".fe-field");
    var forms = [];
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i].closest("form");
      if (f && forms.indexOf(f) < 0) forms.push(f);
    }
    forms.forEach(init);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
