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
  // A declaration that adapts to the applicant's choice (x-groups "show_when"): a group is shown only when one
  // of the given values is chosen in the named field. Without this script every group stays visible.
  function applyConditions(form) {
    form.querySelectorAll("fieldset[data-show-when-field]").forEach(function (group) {
      var name = group.dataset.showWhenField;
      var wanted = (group.dataset.showWhenAny || "").split(" ");
      var chosen = Array.prototype.some.call(form.querySelectorAll("[name='" + name + "']"), function (input) {
        if (input.type === "checkbox" || input.type === "radio") return input.checked && wanted.indexOf(input.value) >= 0;
        return wanted.indexOf(input.value) >= 0;
      });
      group.hidden = !chosen;
      group.querySelectorAll("input, select, textarea").forEach(function (input) {
        input.disabled = !chosen;
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(function (form) {
      if (!form.querySelector("fieldset[data-show-when-field]")) return;
      applyConditions(form);
      form.addEventListener("change", function () { applyConditions(form); });
    });
  });
})();
