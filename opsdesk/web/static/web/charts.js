/* opsdesk charts: draws the chart specs of web/_chart.html with the locally served plotly.js.
   The spec comes from the page (json_script); titles and labels arrive translated. Clicking a
   point that carries a link opens the records behind it. Charts swapped in by htmx are drawn too. */
(function () {
  "use strict";
  if (window.opsdeskCharts) { return; }  // a second copy of this script does nothing

  var FONT = 'system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';
  var INK = "#1f2933", GRID = "#e4e7eb", TARGET = "#047857";

  function narrow(el) { return el.clientWidth < 560; }

  function suffix(unit) { return !unit ? "" : (unit === "%" ? "%" : " " + unit); }

  function allValues(spec) {
    if (spec.kind === "pie") { return spec.values; }
    if (spec.kind === "sankey") { return spec.links.map(function (l) { return l.value; }); }
    return [].concat.apply([], spec.series.map(function (s) { return s.values; }));
  }

  function wholeNumbers(spec) {
    return allValues(spec).every(function (v) { return v === null || Number.isInteger(v); });
  }

  // "%{y:,d}" for counts, "%{y:.1f}" for rates and hours, with the unit
  function shown(spec, axisLetter) {
    return "%{" + axisLetter + ":" + (wholeNumbers(spec) ? ",d" : ".1f") + "}" + suffix(spec.unit);
  }

  function hover(spec, labelFrom) {
    // "<label>: <value><unit>", plus the series name when there are several
    return labelFrom + ": " + shown(spec, spec.horizontal ? "x" : "y") +
      (spec.series && spec.series.length > 1 ? "<extra>%{fullData.name}</extra>" : "<extra></extra>");
  }

  function barTraces(spec) {
    return spec.series.map(function (s) {
      var t = {
        type: "bar", name: s.name, customdata: s.links, cliponaxis: false,
        marker: { color: s.colors || s.color }, hovertemplate: hover(spec, "%{" + (spec.horizontal ? "y" : "x") + "}"),
        texttemplate: shown(spec, spec.horizontal ? "x" : "y"), textposition: spec.stacked ? "inside" : "outside",
        insidetextanchor: "middle", textfont: { size: 12 }
      };
      if (spec.horizontal) { t.orientation = "h"; t.y = spec.labels; t.x = s.values; }
      else { t.x = spec.labels; t.y = s.values; }
      return t;
    });
  }

  function lineTraces(spec) {
    var traces = spec.series.map(function (s) {
      return {
        type: "scatter", mode: "lines+markers", name: s.name, x: spec.labels, y: s.values,
        customdata: s.links, connectgaps: false, line: { color: s.color, width: 2.5 },
        marker: { color: s.colors || s.color, size: 8 }, hovertemplate: hover(spec, "%{x}")
      };
    });
    if (spec.target !== null && spec.target !== undefined) {
      traces.push({
        type: "scatter", mode: "lines", name: spec.target_label, x: spec.labels,
        y: spec.labels.map(function () { return spec.target; }), hoverinfo: "skip",
        line: { color: TARGET, width: 2, dash: "dash" }
      });
    }
    return traces;
  }

  function pieTraces(spec) {
    return [{
      type: "pie", labels: spec.labels, values: spec.values, customdata: spec.links, hole: 0.45,
      sort: false, direction: "clockwise", marker: spec.colors ? { colors: spec.colors } : {},
      textinfo: "value", hovertemplate: "%{label}: %{value}" + suffix(spec.unit) + " (%{percent})<extra></extra>"
    }];
  }

  function sankeyTraces(spec) {
    var links = spec.links;
    return [{
      type: "sankey", arrangement: "snap",
      node: { label: spec.nodes, pad: 18, thickness: 16, color: "#94a3b8", line: { width: 0 } },
      link: {
        source: links.map(function (l) { return l.source; }),
        target: links.map(function (l) { return l.target; }),
        value: links.map(function (l) { return l.value; }),
        label: links.map(function (l) { return l.label; }),
        customdata: links.map(function (l) { return l.url; }),
        color: "rgba(29, 78, 216, 0.25)",
        hovertemplate: "%{source.label} → %{target.label}: %{value}" + suffix(spec.unit) + "<br>%{label}<extra></extra>"
      }
    }];
  }

  function axis(title, spec, isValue) {
    var a = { title: { text: title, standoff: 8 }, automargin: true, gridcolor: GRID, zeroline: false,
              fixedrange: true, tickfont: { size: 12 } };
    if (!isValue) { a.type = "category"; return a; }
    a.rangemode = "tozero";
    if (spec.unit === "%") { a.ticksuffix = "%"; }
    var values = allValues(spec).filter(function (v) { return v !== null; });
    var top = Math.max.apply(null, values.concat([0]));
    if (!values.length) { a.range = [0, 1]; a.showticklabels = false; return a; }
    if (wholeNumbers(spec)) {  // counts: no 0.5 of an incident on the axis
      a.tickformat = ",d";
      if (top <= 5) { a.dtick = 1; }
    }
    if (spec.kind === "bar" && !spec.stacked && top > 0) { a.range = [0, top * 1.15]; }  // room for the labels
    return a;
  }

  function layout(spec, el) {
    var small = narrow(el);
    var legend = (spec.series && spec.series.length > 1) || spec.kind === "pie" ||
      (spec.kind === "line" && spec.target !== null && spec.target !== undefined);
    var l = {
      font: { family: FONT, color: INK, size: 13 }, paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)", margin: { l: 8, r: 16, t: legend ? 8 : 16, b: 8 },
      showlegend: legend,
      // above the plot, in the series' order: never on top of an axis title
      legend: { orientation: "h", x: 0, xanchor: "left", y: 1.02, yanchor: "bottom", traceorder: "normal" },
      hoverlabel: { font: { family: FONT } }, dragmode: false,
      uniformtext: { mode: "hide", minsize: 10 }
    };
    if (spec.kind === "bar" || spec.kind === "line") {
      var category = axis(small && spec.horizontal ? "" : spec.x_title, spec, false);
      var value = axis(spec.y_title, spec, true);
      if (spec.horizontal) { l.yaxis = category; l.xaxis = value; l.yaxis.autorange = "reversed"; }
      else { l.xaxis = category; l.yaxis = value; }
      if (spec.kind === "bar") { l.barmode = spec.stacked ? "stack" : "group"; l.bargap = 0.25; }
    }
    if (spec.kind === "pie") { l.legend = { orientation: "h", x: 0, y: -0.05, yanchor: "top" }; }
    if (!allValues(spec).some(function (v) { return v !== null; })) {  // nothing counted (0 is a value)
      l.annotations = [{ text: spec.empty_text, showarrow: false, xref: "paper", yref: "paper",
                         x: 0.5, y: 0.5, font: { size: 14, color: "#52606d" } }];
    }
    return l;
  }

  function height(spec, el) {
    if (spec.kind === "bar" && spec.horizontal) {
      return Math.max(220, 120 + spec.labels.length * (spec.stacked ? 34 : 24 * spec.series.length + 10));
    }
    if (spec.kind === "sankey") { return Math.max(320, spec.nodes.length * 36); }
    return narrow(el) ? 300 : 340;
  }

  function traces(spec) {
    switch (spec.kind) {
      case "bar": return barTraces(spec);
      case "line": return lineTraces(spec);
      case "pie": return pieTraces(spec);
      case "sankey": return sankeyTraces(spec);
    }
    return [];
  }

  function linkOf(event) {
    var point = event && event.points && event.points[0];
    return point ? point.customdata : null;
  }

  function draw(figure) {
    if (figure.dataset.drawn || !window.Plotly) { return; }
    var source = document.getElementById(figure.dataset.chart);
    var plot = figure.querySelector(".chart-plot");
    if (!source || !plot) { return; }
    var spec = JSON.parse(source.textContent);
    figure.dataset.drawn = "1";
    var l = layout(spec, plot);
    l.height = height(spec, plot);
    window.Plotly.newPlot(plot, traces(spec), l, {
      responsive: true, displayModeBar: false, scrollZoom: false, doubleClick: false
    }).then(function () {
      figure.classList.add("chart-drawn");
      var details = figure.querySelector("details.chart-data");
      if (details) { details.removeAttribute("open"); }  // the chart shows it; the numbers stay one click away
    });
    plot.on("plotly_click", function (event) {
      var url = linkOf(event);
      if (url) { window.location.assign(url); }
    });
    plot.on("plotly_hover", function (event) { plot.classList.toggle("chart-pointing", !!linkOf(event)); });
    plot.on("plotly_unhover", function () { plot.classList.remove("chart-pointing"); });
  }

  function drawAll(root) {
    (root || document).querySelectorAll("figure.chart[data-chart]").forEach(draw);
  }

  window.opsdeskCharts = { drawAll: drawAll };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  } else {
    drawAll(document);
  }
  document.addEventListener("htmx:load", function (event) { drawAll(event.target); });
})();
