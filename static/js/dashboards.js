/* The dashboards' charts (Apache ECharts, vendored): a funnel, bars by township/grid/village,
   lines over weeks and the weekly work — each beside the table that holds its data. The data
   comes from the json_script element "dash-chart-data"; no inline script anywhere. */
(function () {
  "use strict";
  // the stage list: choosing a stage shows it (the button stays for keyboards)
  document.querySelectorAll("[data-testid=stage-select]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  var source = document.getElementById("dash-chart-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var colours = ["#0b6e4f", "#2f9e77", "#f0a202", "#3c78d8", "#8e5ea2", "#c0504d", "#6c757d", "#17a2b8", "#e07b39"];
  var charts = [];

  function narrow() { return window.innerWidth < 576; }

  var builders = {
    funnel: function (d) {
      if (!d || !d.stages || !d.stages.length) { return null; }
      return {
        color: colours,
        tooltip: {trigger: "item", formatter: "{b}：{c}户"},
        series: [{
          type: "funnel", sort: "none", gap: 2, minSize: "25%", left: "5%", width: "90%",
          top: 8, bottom: 8,
          label: {show: true, position: "inside", color: "#fff", fontSize: narrow() ? 11 : 12, formatter: "{b} {c}"},
          data: d.stages
        }]
      };
    },
    bars: function (d) {
      if (!d || !d.names || !d.names.length) { return null; }
      return {
        color: colours,
        tooltip: {trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v + "%"; }},
        legend: {top: 0},
        grid: {top: 40, left: 44, right: 12, bottom: narrow() ? 96 : 72},
        xAxis: {type: "category", data: d.names, axisLabel: {rotate: 40, interval: 0}},
        yAxis: {type: "value", max: 100, axisLabel: {formatter: "{value}%"}},
        series: d.series.map(function (s) { return {name: s.name, type: "bar", data: s.data}; })
      };
    },
    lines: function (d) {
      if (!d || !d.weeks || !d.weeks.length) { return null; }
      return {
        color: colours,
        tooltip: {trigger: "axis"},
        legend: {top: 0, type: "scroll"},
        grid: {top: 40, left: 56, right: 12, bottom: 48},
        xAxis: {type: "category", data: d.weeks},
        yAxis: {type: "value"},
        series: d.series.map(function (s) {
          return {name: s.name, type: "line", data: s.data, connectNulls: false};
        })
      };
    },
    activity: function (d) {
      if (!d || !d.weeks || !d.weeks.length) { return null; }
      return {
        color: colours,
        tooltip: {trigger: "axis"},
        legend: {top: 0},
        grid: {top: 40, left: 44, right: 44, bottom: 48},
        xAxis: {type: "category", data: d.weeks},
        yAxis: [{type: "value", name: "走访"}, {type: "value", name: "按时率", max: 100, axisLabel: {formatter: "{value}%"}}],
        series: [
          {name: "走访次数", type: "bar", data: d.visits},
          {name: "按时办结率", type: "line", yAxisIndex: 1, data: d.on_time}
        ]
      };
    }
  };

  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var build = builders[element.getAttribute("data-chart")];
    var option = build ? build(data[element.getAttribute("data-chart")]) : null;
    if (!option) { element.hidden = true; return; }
    var chart = echarts.init(element, null, {renderer: "canvas"});
    chart.setOption(option);
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
