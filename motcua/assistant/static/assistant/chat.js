// The legal assistant's chat: ask without reloading the page. The page works without this file (a plain form POST).
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("ask-form");
    var conversation = document.getElementById("conversation");
    if (!form || !conversation || !window.fetch || !window.FormData) return;
    var status = document.getElementById("ask-status");
    var button = document.getElementById("ask-button");
    var question = form.querySelector("textarea[name=question]");

    form.addEventListener("submit", function (event) {
      event.preventDefault(); // motcua/site.js leaves a prevented form alone
      if (form.dataset.asking === "1") return;
      form.dataset.asking = "1";
      button.disabled = true;
      status.textContent = form.dataset.waiting || "Đang tìm căn cứ…";
      form.querySelectorAll(".message-error").forEach(function (e) { e.remove(); });
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.text().then(function (html) { return { ok: response.ok, html: html }; });
        })
        .then(function (result) {
          var fragment = document.createRange().createContextualFragment(result.html);
          if (result.ok) {
            var exchange = fragment.querySelector(".exchange");
            conversation.appendChild(fragment);
            question.value = "";
            status.textContent = "";
            if (exchange) {
              exchange.setAttribute("tabindex", "-1");
              exchange.scrollIntoView({ block: "start" });
              exchange.focus({ preventScroll: true });
            }
          } else {
            status.textContent = "";
            form.insertBefore(fragment, form.querySelector(".field"));
          }
        })
        .catch(function () {
          form.dataset.asking = "";
          form.submit(); // the network or the script failed: the ordinary form POST still works
        })
        .finally(function () {
          form.dataset.asking = "";
          button.disabled = false;
        });
    });
  });
})();
