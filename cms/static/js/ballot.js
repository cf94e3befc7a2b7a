// Live limit counters for the ballot form (templates/crowdsourcing/voting/).
// The server computes the same numbers on "Проверить"; this only saves a
// round trip. It never blocks a submission: the server decides.
(function () {
  "use strict";
  var form = document.getElementById("ballot-form");
  if (!form) {
    return;
  }
  var kind = form.dataset.kind;
  var maxChoices = parseInt(form.dataset.maxChoices, 10);
  var maxPoints = parseInt(form.dataset.maxPoints, 10);
  var budget = parseInt(form.dataset.budget, 10);
  var language = document.documentElement.lang || "ru";
  var grouping = new Intl.NumberFormat(language);
  var money = grouping;
  if (form.dataset.currency) {
    try {
      // Whole units with the currency sign, as the server's money filter.
      money = new Intl.NumberFormat(language, {
        style: "currency",
        currency: form.dataset.currency,
        maximumFractionDigits: 0,
        minimumFractionDigits: 0,
      });
    } catch (error) {
      money = grouping; // an unknown currency code: plain numbers
    }
  }

  // The translated wording comes from the template (data-template, and
  // data-template-over for a budget that is exceeded).
  function setText(name, left, total, over) {
    var node = form.querySelector('[data-status="' + name + '"]');
    if (!node || !node.dataset.template) {
      return;
    }
    var template = node.dataset.template;
    if (over && node.dataset.templateOver) {
      template = node.dataset.templateOver;
    }
    node.textContent = template
      .replace("{left}", left)
      .replace("{over}", over)
      .replace("{total}", total);
  }

  function update() {
    var chosen = 0;
    var points = 0;
    var cost = 0;
    form.querySelectorAll("[data-cost]").forEach(function (input) {
      var value = 0;
      if (kind === "cumulative") {
        value = parseInt(input.value, 10) || 0;
        points += Math.max(value, 0);
      } else if (kind === "ranked") {
        value = input.value ? 1 : 0;
      } else {
        value = input.checked ? 1 : 0;
      }
      if (value > 0) {
        chosen += 1;
        cost += parseInt(input.dataset.cost, 10) || 0;
      }
    });
    if (!isNaN(maxChoices)) {
      setText("choices", Math.max(maxChoices - chosen, 0), maxChoices);
    }
    if (!isNaN(maxPoints)) {
      setText("points", maxPoints - points, maxPoints);
    }
    if (!isNaN(budget)) {
      var over = cost > budget ? money.format(cost - budget) : "";
      setText("budget", money.format(budget - cost), money.format(budget), over);
    }
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
