// Draws the charts of a Tycho campaign report from the JSON in
// #report-data. Text from the data is only ever set as textContent or drawn
// on a canvas, never parsed as HTML. When done, <body data-charts> holds the
// number of charts created; errors are shown in #js-error.
(function () {
  'use strict';

  var errorBox = document.getElementById('js-error');
  var charts = [];

  function fail(msg) {
    errorBox.textContent += msg + '\n';
  }

  window.addEventListener('error', function (e) {
    fail('Error: ' + e.message);
  });

  var colors = {
    blue: '#0969da', orange: '#d1700f', green: '#1a7f37', grey: '#8c959f',
    purple: '#8250df', red: '#cf222e'
  };

  function alpha(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + a + ')';
  }

  function fmt(v) {
    if (v === null || v === undefined) { return '—'; }
    return String(Number(Number(v).toPrecision(6)));
  }

  function axisTitle(text) {
    return { display: true, text: text };
  }

  function objectiveTitle(o) {
    var t = o.name + (o.unit ? ' [' + o.unit + ']' : '');
    return t + ' (' + o.direction + ')';
  }

  // addChart creates a figure with a caption and a canvas in container and
  // draws config on it.
  function addChart(container, caption, config) {
    var fig = document.createElement('figure');
    var cap = document.createElement('figcaption');
    cap.textContent = caption;
    var box = document.createElement('div');
    box.className = 'chart-box';
    var canvas = document.createElement('canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', caption);
    box.appendChild(canvas);
    fig.appendChild(cap);
    fig.appendChild(box);
    container.appendChild(fig);
    try {
      charts.push(new Chart(canvas, config));
    } catch (e) {
      fail(caption + ': ' + e.message);
    }
  }

  function seqTooltip(ctx) {
    var p = ctx.raw || {};
    return (ctx.dataset.label ? ctx.dataset.label + ': ' : '') + '#' + p.seq + ' ' + fmt(p.y);
  }

  function convergenceCharts(data) {
    var el = document.getElementById('convergence');
    data.convergence.forEach(function (c, i) {
      var o = data.objectives[i];
      var datasets = [
        { label: 'experiment', data: c.points, showLine: false, pointRadius: 3,
          backgroundColor: alpha(colors.blue, 0.55), borderColor: colors.blue },
        { label: 'best so far', data: c.best, showLine: true, stepped: true, pointRadius: 0,
          borderColor: colors.orange, backgroundColor: colors.orange, borderWidth: 2 }
      ];
      if (o.goal !== undefined && o.goal !== null && c.points.length > 0) {
        var xs = c.points.map(function (p) { return p.x; });
        datasets.push({ label: 'goal', showLine: true, pointRadius: 0, borderDash: [6, 4],
          borderColor: colors.green, backgroundColor: colors.green, borderWidth: 1,
          data: [{ x: Math.min.apply(null, xs), y: o.goal }, { x: Math.max.apply(null, xs), y: o.goal }] });
      }
      addChart(el, objectiveTitle(o), {
        type: 'scatter',
        data: { datasets: datasets },
        options: {
          scales: { x: { title: axisTitle('experiment #'), ticks: { precision: 0 } }, y: { title: axisTitle(o.name) } },
          plugins: { tooltip: { callbacks: { label: seqTooltip } } }
        }
      });
    });
  }

  function importanceChart(data) {
    if (data.importance.length === 0) { return; }
    addChart(document.getElementById('importance'), 'Importance (1 / lengthscale)', {
      type: 'bar',
      data: {
        labels: data.importance.map(function (d) { return d.parameter; }),
        datasets: [{ label: '1 / lengthscale', data: data.importance.map(function (d) { return d.inverse; }),
          backgroundColor: alpha(colors.blue, 0.7), borderColor: colors.blue, borderWidth: 1 }]
      },
      options: {
        indexAxis: 'y',
        scales: { x: { beginAtZero: true, title: axisTitle('1 / lengthscale') } },
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: function (ctx) {
          var d = data.importance[ctx.dataIndex];
          return '1/ℓ = ' + fmt(d.inverse) + ' (ℓ = ' + fmt(d.lengthscale) + ')';
        } } } }
      }
    });
  }

  function numericSlice(s) {
    function pts(ys) { return s.x.map(function (x, i) { return { x: x, y: ys[i] }; }); }
    return {
      type: 'line',
      data: { datasets: [
        { label: 'lower', data: pts(s.lower), pointRadius: 0, borderWidth: 0, fill: false },
        { label: '95% interval', data: pts(s.upper), pointRadius: 0, borderWidth: 0, fill: '-1',
          backgroundColor: alpha(colors.blue, 0.18), borderColor: alpha(colors.blue, 0.18) },
        { label: 'mean', data: pts(s.mean), pointRadius: 0, borderWidth: 2, borderColor: colors.blue,
          backgroundColor: colors.blue, fill: false }
      ] },
      options: {
        scales: { x: { type: 'linear', title: axisTitle(s.parameter) }, y: { title: axisTitle(s.objective) } },
        plugins: { legend: { labels: { filter: function (item) { return item.text !== 'lower'; } } } }
      }
    };
  }

  function categoricalSlice(s) {
    var ranges = s.lower.map(function (lo, i) {
      var hi = s.upper[i];
      return lo === null || hi === null ? null : [lo, hi];
    });
    return {
      type: 'bar',
      data: { labels: s.labels, datasets: [
        { type: 'line', label: 'mean', data: s.mean, showLine: false, pointRadius: 5,
          pointStyle: 'rectRot', borderColor: colors.blue, backgroundColor: colors.blue, order: 0 },
        { type: 'bar', label: '95% interval', data: ranges, barPercentage: 0.35,
          backgroundColor: alpha(colors.blue, 0.22), borderColor: alpha(colors.blue, 0.6), borderWidth: 1, order: 1 }
      ] },
      options: { scales: { x: { title: axisTitle(s.parameter) },
        y: { beginAtZero: false, title: axisTitle(s.objective) } } }
    };
  }

  function sliceCharts(data) {
    var el = document.getElementById('slices');
    data.slices.forEach(function (s) {
      var config = s.labels ? categoricalSlice(s) : numericSlice(s);
      addChart(el, s.objective + ' vs ' + s.parameter, config);
    });
  }

  function paretoCharts(data) {
    var p = data.pareto;
    if (!p) { return; }
    var el = document.getElementById('pareto');
    addChart(el, p.x + ' vs ' + p.y, {
      type: 'scatter',
      data: { datasets: [
        { label: 'Pareto front', data: p.front, showLine: true, pointRadius: 5, borderWidth: 2,
          borderColor: colors.orange, backgroundColor: colors.orange, order: 0 },
        { label: 'completed', data: p.points, pointRadius: 3,
          borderColor: colors.grey, backgroundColor: alpha(colors.grey, 0.5), order: 1 }
      ] },
      options: {
        scales: { x: { title: axisTitle(objectiveTitle(data.objectives[0])) },
          y: { title: axisTitle(objectiveTitle(data.objectives[1])) } },
        plugins: { tooltip: { callbacks: { label: function (ctx) {
          var q = ctx.raw || {};
          return '#' + q.seq + ': ' + fmt(q.x) + ', ' + fmt(q.y);
        } } } }
      }
    });
    if (!data.hypervolume || data.hypervolume.length === 0) { return; }
    addChart(el, 'Hypervolume', {
      type: 'line',
      data: {
        labels: data.hypervolume.map(function (_, i) { return i + 1; }),
        datasets: [{ label: 'hypervolume', data: data.hypervolume, pointRadius: 2,
          borderColor: colors.purple, backgroundColor: colors.purple, borderWidth: 2 }]
      },
      options: {
        scales: { x: { title: axisTitle('experiments finished') },
          y: { beginAtZero: true, title: axisTitle('hypervolume') } },
        plugins: { legend: { display: false } }
      }
    });
  }

  function main() {
    if (typeof Chart === 'undefined') {
      throw new Error('Chart.js did not load');
    }
    var data = JSON.parse(document.getElementById('report-data').textContent);
    Chart.defaults.animation = false;
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = '#1f2328';
    // Draw at twice the resolution at least, so that printed charts, which
    // the print style sheet scales to the page, stay sharp.
    Chart.defaults.devicePixelRatio = Math.max(window.devicePixelRatio || 1, 2);
    var steps = [convergenceCharts, importanceChart, sliceCharts, paretoCharts];
    steps.forEach(function (step) {
      try {
        step(data);
      } catch (e) {
        fail(e.message);
      }
    });
  }

  try {
    main();
  } catch (e) {
    fail(e.message);
  }
  document.body.setAttribute('data-charts', String(charts.length));
})();
