/* The what-if page's chart: credit totals per township before and after, from the
   json_script element "simulation-chart-data". */
(function () {
  "use strict";
  var element = document.getElementById("simulation-chart");
  var source = document.getElementById("simulation-chart-data");
  if (!element || !source) { return; }
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(element);
  chart.setOption({
    tooltip: {trigger: "axis"},
    legend: {top: 0, data: ["现行（万元）", "测算（万元）"]},
    grid: {top: 36, left: 48, right: 12, bottom: 72},
    xAxis: {type: "category", data: data.names, axisLabel: {rotate: 40}},
    yAxis: {type: "value"},
    series: [
      {name: "现行（万元）", type: "bar", data: data.before},
      {name: "测算（万元）", type: "bar", data: data.after}
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
