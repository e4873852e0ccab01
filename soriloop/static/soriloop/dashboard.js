// Dashboard charts (Chart.js, installed from npm and served as a static file).
// Every bar and point is a link: clicking opens the inbox filtered to exactly its records.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }
  // Compare: A and B offer the values of the dimension chosen.
  ready(function () {
    var dim = document.getElementById("id_dim");
    if (!dim) return;
    dim.addEventListener("change", function () {
      document.querySelectorAll("input[data-picker]").forEach(function (input) {
        input.setAttribute("list", "compare-" + dim.value);
        input.value = "";
      });
    });
  });
  ready(function () {
    var source = document.getElementById("chart-data");
    if (!source || typeof Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    var points = data.points;
    var labels = points.map(function (p) { return p.start; });
    var css = getComputedStyle(document.documentElement);
    var colour = function (name, fallback) { return (css.getPropertyValue(name) || fallback).trim(); };
    var brand = colour("--brand", "#3b5bdb"), ok = colour("--ok", "#2b8a3e"), bad = colour("--danger", "#c92a2a");

    function go(url) { if (url) window.location.assign(url); }
    function clicked(chart, event) {
      var hits = chart.getElementsAtEventForMode(event, "nearest", { intersect: true }, true);
      return hits.length ? hits[0] : null;
    }
    var common = { responsive: true, maintainAspectRatio: false, animation: false,
      interaction: { mode: "index", intersect: false } };

    var trend = document.getElementById("trend-chart");
    if (trend) {
      var trendChart = new Chart(trend, {
        data: {
          labels: labels,
          datasets: [
            { type: "bar", label: data.labels.volume, data: points.map(function (p) { return p.volume; }),
              backgroundColor: "rgba(59, 91, 219, .25)", borderColor: brand, yAxisID: "y" },
            { type: "line", label: data.labels.nps, data: points.map(function (p) { return p.nps; }),
              borderColor: ok, backgroundColor: ok, spanGaps: true, yAxisID: "y1" },
            { type: "line", label: data.labels.net_sentiment,
              data: points.map(function (p) { return p.net_sentiment; }),
              borderColor: bad, backgroundColor: bad, borderDash: [4, 3], spanGaps: true, yAxisID: "y1" },
          ],
        },
        options: Object.assign({}, common, {
          scales: { y: { beginAtZero: true, position: "left" },
                    y1: { min: -100, max: 100, position: "right", grid: { drawOnChartArea: false } } },
          plugins: { tooltip: { callbacks: { afterLabel: function (item) {
            // each score with the number of answers it stands on
            var point = points[item.dataIndex];
            if (item.datasetIndex === 1) return "n = " + point.nps_n + " " + data.labels.n;
            if (item.datasetIndex === 2) return "n = " + point.net_sentiment_n + " " + data.labels.n;
            return "";
          } } } },
          onClick: function (event) {
            var hit = clicked(trendChart, event);
            // the NPS line opens the NPS answers of that day; bars and sentiment all records
            if (hit) go(hit.datasetIndex === 1 ? points[hit.index].hrefs.nps : points[hit.index].href);
          },
        }),
      });
    }

    var sentiment = document.getElementById("sentiment-chart");
    if (sentiment) {
      var keys = ["positive", "neutral", "negative"];
      var colours = { positive: ok, neutral: "#adb5bd", negative: bad };
      var sentimentChart = new Chart(sentiment, {
        type: "bar",
        data: {
          labels: labels,
          datasets: keys.map(function (key) {
            return { label: data.labels[key], key: key, backgroundColor: colours[key],
                     data: points.map(function (p) { return p[key]; }) };
          }),
        },
        options: Object.assign({}, common, {
          scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
          onClick: function (event) {
            var hit = clicked(sentimentChart, event);
            if (hit) go(points[hit.index].hrefs[keys[hit.datasetIndex]]);
          },
        }),
      });
    }
  });
})();
