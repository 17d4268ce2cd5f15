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
