// Backpath's only script file (no inline scripts, so a strict CSP can be applied).
document.addEventListener("htmx:responseError", function (event) {
  var target = event.detail.target;
  if (target) {
    target.insertAdjacentHTML(
      "afterbegin",
      '<div class="alert alert-warning" role="alert">' +
        (document.documentElement.lang === "fr" ? "L'action n'a pas abouti. Rechargez la page." :
         document.documentElement.lang === "en" ? "The action did not go through. Please reload the page." :
         "De actie is niet gelukt. Laad de pagina opnieuw.") +
        "</div>"
    );
  }
});

// Step-by-step questionnaires: without JavaScript every step shows and one submit
// sends them all; with it, one step at a time, opening the first step with an error.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-steps]").forEach(function (container) {
    var steps = Array.prototype.slice.call(container.querySelectorAll("[data-step]"));
    var form = container.closest("form");
    var submit = form ? form.querySelector("[data-submit-row]") : null;
    if (steps.length < 2) { return; }
    function show(index) {
      steps.forEach(function (step, i) { step.hidden = i !== index; });
      if (submit) { submit.hidden = index !== steps.length - 1; }
      container.querySelectorAll("[data-step-label]").forEach(function (label, i) {
        label.classList.toggle("text-bg-primary", i === index);
        label.classList.toggle("text-bg-light", i !== index && !label.classList.contains("text-bg-warning"));
        if (i === index) { label.setAttribute("aria-current", "step"); } else { label.removeAttribute("aria-current"); }
      });
      var legend = steps[index].querySelector("legend");
      if (legend) { legend.setAttribute("tabindex", "-1"); legend.focus(); }
    }
    steps.forEach(function (step, i) {
      step.querySelector(".bp-step-buttons").hidden = false;
      var next = step.querySelector("[data-step-next]");
      var back = step.querySelector("[data-step-back]");
      if (next) { next.addEventListener("click", function () { show(i + 1); }); }
      if (back) { back.addEventListener("click", function () { show(i - 1); }); }
    });
    var firstError = steps.findIndex(function (step) { return step.hasAttribute("data-has-errors"); });
    show(firstError >= 0 ? firstError : 0);
  });
});

document.addEventListener("click", function (event) {
  var trigger = event.target.closest("[data-print]");
  if (trigger) { event.preventDefault(); window.print(); }
});
