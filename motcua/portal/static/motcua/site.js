// motcua: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // A second click on a submit button must not send the form twice (a dossier submitted twice is two dossiers).
  // The button is disabled after the browser has read its name/value, so the pressed button still counts.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || form.dataset.submitting === "1") {
      if (form.dataset.submitting === "1") event.preventDefault();
      return;
    }
    form.dataset.submitting = "1";
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) {
        b.disabled = true;
      });
    }, 0);
    // If the user comes back with the browser's Back button, let them submit again.
    window.addEventListener("pageshow", function () {
      form.dataset.submitting = "";
      form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) {
        b.disabled = false;
      });
    });
  });

  // Focus the error summary so screen-reader and keyboard users land on what to fix.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".error-summary");
    if (summary) {
      if (!summary.hasAttribute("tabindex")) summary.setAttribute("tabindex", "-1");
      summary.focus();
    }
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
