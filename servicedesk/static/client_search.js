/* Search as you type for the desk's "file for a client" form: the clients matching what is
   typed replace the list of choices. Without JavaScript the search form's button does it. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-client-search]");
  var box = document.getElementById("client-choices");
  if (!form || !box) return;
  var input = form.querySelector("input[type=search]");
  var timer = null;

  function show(clients) {
    var checked = box.querySelector("input[name=client_id]:checked");
    var keep = checked ? checked.value : "";
    box.textContent = "";
    clients.forEach(function (client) {
      var row = document.createElement("div");
      row.className = "form-check";
      var radio = document.createElement("input");
      radio.className = "form-check-input";
      radio.type = "radio";
      radio.name = "client_id";
      radio.id = "client-" + client.id;
      radio.value = String(client.id);
      radio.checked = radio.value === keep;
      var label = document.createElement("label");
      label.className = "form-check-label";
      label.htmlFor = radio.id;
      label.textContent = client.label;  // text, never HTML
      row.appendChild(radio);
      row.appendChild(label);
      box.appendChild(row);
    });
  }

  function search() {
    var words = input.value.trim();
    if (words.length < 2) return;
    var url = form.getAttribute("data-client-search") + "?q=" + encodeURIComponent(words);
    fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(show)
      .catch(function () {});
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
})();
