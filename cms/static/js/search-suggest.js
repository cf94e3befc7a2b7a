// Suggestions under the search box while typing. The form works without
// this script; it only adds a list of matching titles to jump to.
(function () {
  "use strict";
  var input = document.querySelector("input[data-suggest-url]");
  if (!input || !window.fetch) return;
  var list = document.getElementById(input.getAttribute("aria-controls"));
  var timer = null;
  var lastQuery = "";
  var controller = null;

  function close() {
    list.hidden = true;
    list.textContent = "";
    input.setAttribute("aria-expanded", "false");
  }

  function show(items) {
    list.textContent = "";
    items.forEach(function (item, index) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.id = list.id + "-" + index;
      var link = document.createElement("a");
      link.href = item.url;
      link.textContent = item.title; // text, never HTML
      li.appendChild(link);
      list.appendChild(li);
    });
    list.hidden = items.length === 0;
    input.setAttribute("aria-expanded", items.length ? "true" : "false");
  }

  function fetchSuggestions() {
    var q = input.value.trim();
    if (q === lastQuery) return;
    lastQuery = q;
    if (q.length < 2) { close(); return; }
    if (controller) controller.abort();
    controller = window.AbortController ? new AbortController() : null;
    var url = input.getAttribute("data-suggest-url") + "?q=" + encodeURIComponent(q);
    fetch(url, { headers: { Accept: "application/json" },
                 signal: controller ? controller.signal : undefined })
      .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
      .then(function (data) { show(data.suggestions || []); })
      .catch(function () { /* aborted or offline: keep the plain form */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, 200);
  });
  input.addEventListener("keydown", function (event) {
    var links = list.querySelectorAll("a");
    if (!links.length) return;
    var current = Array.prototype.indexOf.call(links, document.activeElement);
    if (event.key === "ArrowDown") {
      event.preventDefault();
      links[Math.min(current + 1, links.length - 1)].focus();
    } else if (event.key === "Escape") {
      close();
    }
  });
  list.addEventListener("keydown", function (event) {
    var links = list.querySelectorAll("a");
    var current = Array.prototype.indexOf.call(links, document.activeElement);
    if (event.key === "ArrowDown" && current < links.length - 1) {
      event.preventDefault(); links[current + 1].focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (current > 0) links[current - 1].focus(); else input.focus();
    } else if (event.key === "Escape") {
      close(); input.focus();
    }
  });
  document.addEventListener("click", function (event) {
    if (!list.contains(event.target) && event.target !== input) close();
  });
})();
