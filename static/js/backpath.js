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

// Session expiry warning (issue 8). Staff sessions end after SESSION_COOKIE_AGE seconds
// without a request; a few minutes before, a banner offers to stay logged in. Any
// request (a page, an htmx action, the button) starts the count again.
document.addEventListener("DOMContentLoaded", function () {
  var body = document.body;
  var timeout = parseInt(body.getAttribute("data-session-timeout"), 10);
  var warning = parseInt(body.getAttribute("data-session-warning"), 10);
  var box = document.querySelector("[data-session-warning-box]");
  if (!timeout || !box) { return; }
  var warnTimer = null;
  var endTimer = null;
  function schedule() {
    window.clearTimeout(warnTimer);
    window.clearTimeout(endTimer);
    box.hidden = true;
    warnTimer = window.setTimeout(function () { box.hidden = false; },
      Math.max(timeout - (warning || 0), 0) * 1000);
    endTimer = window.setTimeout(function () {
      window.location.assign(body.getAttribute("data-login-url") + "?next=" +
        encodeURIComponent(window.location.pathname));
    }, timeout * 1000);
  }
  box.querySelector("[data-session-keepalive]").addEventListener("click", function () {
    var token = document.querySelector("[name=csrfmiddlewaretoken]");
    var headers = JSON.parse(body.getAttribute("hx-headers") || "{}");
    if (token) { headers["X-CSRFToken"] = token.value; }
    fetch(body.getAttribute("data-keepalive-url"), {
      method: "POST", headers: headers, credentials: "same-origin", redirect: "manual"
    }).then(function (response) {
      if (response.status === 204) { schedule(); } else { window.location.reload(); }
    }, function () { window.location.reload(); });
  });
  document.addEventListener("htmx:afterRequest", schedule);
  schedule();
});

// Formsets (the plan's goals): "Add a goal" adds an empty row from the formset's
// empty form, without saving; the server still counts the rows (TOTAL_FORMS).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-formset]").forEach(function (formset) {
    var add = formset.querySelector("[data-formset-add]");
    var template = formset.querySelector("template[data-formset-empty]");
    var rows = formset.querySelector("[data-formset-rows]");
    var total = formset.querySelector("input[name$='-TOTAL_FORMS']");
    var max = formset.querySelector("input[name$='-MAX_NUM_FORMS']");
    if (!add || !template || !rows || !total) { return; }
    function full() { return max && parseInt(total.value, 10) >= parseInt(max.value, 10); }
    add.hidden = full();
    add.addEventListener("click", function () {
      if (full()) { return; }
      var index = total.value;
      rows.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, index));
      total.value = parseInt(index, 10) + 1;
      var row = rows.lastElementChild;
      var first = row && row.querySelector("input, textarea, select");
      if (first) { first.focus(); }
      add.hidden = full();
    });
  });
});

// A table wider than its box scrolls sideways: make the scrolling box reachable with the
// keyboard (WCAG 2.1.1) and name it after its section's heading. Again once the page has
// fully loaded (its width may settle after DOMContentLoaded), after a resize and after
// htmx swapped content in.
function bpScrollableTables() {
  document.querySelectorAll(".table-responsive").forEach(function (box) {
    if (box.scrollWidth <= box.clientWidth || box.hasAttribute("tabindex")) { return; }
    box.setAttribute("tabindex", "0");
    box.setAttribute("role", "region");
    var section = box.closest("section, .card");
    var heading = section && section.querySelector("h2, h3, .card-header");
    if (heading) {
      if (!heading.id) { heading.id = "bp-table-" + Math.random().toString(36).slice(2, 8); }
      box.setAttribute("aria-labelledby", heading.id);
    }
  });
}
document.addEventListener("DOMContentLoaded", bpScrollableTables);
window.addEventListener("load", bpScrollableTables);
window.addEventListener("resize", bpScrollableTables);
document.addEventListener("htmx:afterSettle", bpScrollableTables);
// The desk intake's emergency fast path: as soon as an answer that alone means
// EMERGENCY is ticked (the form lists them, worked out from the triage rules), the
// banner with "save now" shows; the intake is saved with the answers given.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-emergency-answers]");
  var banner = form ? form.querySelector("[data-emergency-banner]") : null;
  if (!banner) { return; }
  var rules = JSON.parse(form.getAttribute("data-emergency-answers") || "{}");
  function update() {
    var emergency = Object.keys(rules).some(function (name) {
      return rules[name].some(function (value) {
        var input = form.querySelector('input[name="' + name + '"][value="' + value + '"]');
        return input !== null && input.checked;
      });
    });
    banner.hidden = !emergency;
  }
  form.addEventListener("change", update);
  update();
});

// The kiosk tablet: after data-kiosk-idle seconds without a touch, key or scroll the
// page goes back to the kiosk's neutral start page, which ends the kiosk session.
document.addEventListener("DOMContentLoaded", function () {
  var body = document.body;
  var home = body.getAttribute("data-kiosk-home");
  var idle = parseInt(body.getAttribute("data-kiosk-idle"), 10);
  if (!home || !idle) { return; }
  var timer = null;
  function restart() {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { window.location.assign(home); }, idle * 1000);
  }
  ["pointerdown", "keydown", "input", "scroll", "touchstart"].forEach(function (name) {
    document.addEventListener(name, restart, { passive: true, capture: true });
  });
  restart();
});
