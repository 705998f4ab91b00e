// motcua – the operations centre's and the public page's charts, drawn with Chart.js (installed by npm, served
// from /static/vendor/chartjs/). Each <canvas data-chart="ID"> reads its data from <script type="application/json"
// id="ID"> written by the server; a click on a bar or a point opens the dossiers behind it where there is a link.
// Every chart has a table with the same figures on the page: the page works without this file.
(function () {
  "use strict";

  var COLOURS = ["#0b4f9c", "#1e6b34", "#a4161a", "#b7791f", "#6b7785", "#5a2d82"];

  function config(spec) {
    var round = spec.type === "doughnut" || spec.type === "pie";
    var datasets = spec.datasets.map(function (ds, i) {
      var colour = COLOURS[i % COLOURS.length];
      var style = round
        ? { backgroundColor: COLOURS.slice(0, spec.labels.length), borderColor: "#fff" }
        : { backgroundColor: colour, borderColor: colour, fill: false, tension: 0.2, pointRadius: 2, maxBarThickness: 28 };
      return Object.assign({}, ds, style);
    });
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      locale: "vi-VN",
      plugins: {
        legend: { position: "bottom" },
        tooltip: {
          callbacks: spec.percent
            ? { label: function (c) { return c.dataset.label + ": " + (c.raw === null ? "—" : c.formattedValue + "%"); } }
            : {},
        },
      },
      onClick: function (event, elements) {
        if (!elements.length) return;
        var link = (spec.links[elements[0].datasetIndex] || [])[elements[0].index];
        if (link) window.location.assign(link);
      },
      onHover: function (event, elements) {
        var linked = elements.length && (spec.links[elements[0].datasetIndex] || [])[elements[0].index];
        event.native.target.style.cursor = linked ? "pointer" : "default";
      },
    };
    if (!round) {
      var value = { beginAtZero: true, ticks: { precision: 0 } };
      if (spec.percent) value.max = 100;
      var category = { ticks: { autoSkip: true, maxRotation: 0 } };
      if (spec.horizontal) {
        options.indexAxis = "y";
        options.scales = { x: value, y: category };
      } else {
        options.scales = { x: category, y: value };
      }
    }
    return { type: spec.type, data: { labels: spec.labels, datasets: datasets }, options: options };
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof window.Chart === "undefined") return;
    var spec = JSON.parse(source.textContent);
    if (spec.horizontal && spec.labels.length > 8) {
      canvas.parentNode.style.height = Math.max(18, spec.labels.length * 2.2) + "rem";
    }
    new window.Chart(canvas, config(spec));
  }

  function drawAll() {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawAll);
  else drawAll();
})();
