// The field builder's conveniences; the builder works without them (the server does the same).
// - each card shows only the properties of its kind (catalog.builder.PROPERTIES);
// - a key left empty, or still the one made from the label, follows the label as it is typed
//   (catalog.builder.slug and unique_key, previewed here);
// - leaving the page with unpublished changes asks first.
(function () {
  "use strict";
  var form = document.getElementById("builder");
  if (!form) { return; }
  var properties = JSON.parse(form.getAttribute("data-kind-properties") || "{}");
  var fallback = form.getAttribute("data-fallback-key") || "campo";
  var keyMax = parseInt(form.getAttribute("data-key-max"), 10) || 40;
  var specific = {};
  Object.keys(properties).forEach(function (kind) {
    properties[kind].forEach(function (name) { specific[name] = true; });
  });

  function cards() {
    return Array.prototype.slice.call(form.querySelectorAll("[data-builder-card]"));
  }

  function showProperties(card) {
    var kind = card.querySelector("[data-builder-kind]").value;
    var allowed = properties[kind] || [];
    card.querySelectorAll("[data-prop]").forEach(function (column) {
      var name = column.getAttribute("data-prop");
      if (specific[name]) { column.hidden = allowed.indexOf(name) < 0; }
    });
  }

  function slug(label) {
    var key = label.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/ß/g, "ss").replace(/æ/g, "ae").replace(/ø/g, "o")
      .replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
    if (!key) { return fallback; }
    if (!/^[a-z]/.test(key)) { key = fallback + "_" + key; }
    return key.slice(0, keyMax).replace(/_+$/, "");
  }

  function unique(base, taken) {
    if (!taken[base]) { return base; }
    for (var n = 2; ; n += 1) {
      var suffix = "_" + n;
      var candidate = base.slice(0, keyMax - suffix.length).replace(/_+$/, "") + suffix;
      if (!taken[candidate]) { return candidate; }
    }
  }

  function field(card, attr) {
    return card.querySelector("[name$='-" + attr + "']");
  }

  function refreshKeys() {
    var taken = {};
    var rows = cards().map(function (card) {
      var key = card.querySelector("[data-builder-key]");
      var auto = card.querySelector("[data-builder-auto-key]");
      var value = key.value.trim();
      var derived = !value || (auto.value !== "" && value === auto.value);
      if (!derived) { taken[value] = true; }
      return {card: card, key: key, auto: auto, derived: derived};
    });
    rows.forEach(function (row) {
      if (!row.derived) { return; }
      var label = field(row.card, "label").value.trim() || field(row.card, "label_en").value.trim();
      var key = unique(slug(label), taken);
      row.key.value = key;
      row.auto.value = key;
      taken[key] = true;
    });
  }

  cards().forEach(function (card) {
    showProperties(card);
    card.querySelector("[data-builder-kind]").addEventListener("change", function () {
      showProperties(card);
    });
    var key = card.querySelector("[data-builder-key]");
    key.addEventListener("input", function () {
      // Typed by hand: kept as typed; emptied: made from the label again.
      card.querySelector("[data-builder-auto-key]").value = "";
    });
    ["label", "label_en"].forEach(function (attr) {
      field(card, attr).addEventListener("input", refreshKeys);
    });
  });

  var unpublished = form.getAttribute("data-unpublished") === "1";
  var submitting = false;
  form.addEventListener("input", function () { unpublished = true; });
  form.addEventListener("change", function () { unpublished = true; });
  // Every form on the page carries the fields along (the builder, the preview's test).
  document.addEventListener("submit", function () { submitting = true; }, true);
  window.addEventListener("pageshow", function () { submitting = false; });
  window.addEventListener("beforeunload", function (event) {
    if (unpublished && !submitting) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
}());
