// Jobdeck's own browser code: live updates (pause, hidden tabs), the charts, row
// selection and the current page in the nav. The pages work without it; this makes them nicer.
// There are no inline scripts anywhere, so the Content-Security-Policy allows only our files.
"use strict";

document.documentElement.classList.add("js");

/** Every element under `root` (itself included) that matches `selector`. */
function within(root, selector) {
  const found = [...root.querySelectorAll(selector)];
  return root.matches?.(selector) ? [root, ...found] : found;
}

// --- live updates -----------------------------------------------------------------------
// Elements marked data-poll ask for themselves every few seconds (see macros.html). Those
// requests are skipped while the tab is hidden or updates are paused; on return, refresh now.

const PAUSED = "jobdeck.paused";
const isPaused = () => sessionStorage.getItem(PAUSED) === "yes";

function refreshLiveParts() {
  document.querySelectorAll("[data-poll]").forEach((element) => htmx.trigger(element, "refresh"));
}

function showLiveState() {
  const paused = isPaused();
  document.querySelectorAll("[data-live-toggle]").forEach((button) => {
    button.classList.toggle("is-paused", paused);
    button.querySelector("[data-live-label]").textContent = paused ? "Resume updates" : "Pause updates";
  });
}

/** Someone is working inside a live part: an editor is open, or a field has the focus. A
 *  refresh would throw away what they typed, so it waits until they are done. */
function isBeingEdited(element) {
  const focused = document.activeElement;
  const typing = focused?.matches("input:not([type=hidden]), select, textarea") && element.contains(focused);
  return typing || element.querySelector("details[open], [data-editing]") !== null;
}

document.addEventListener("htmx:beforeRequest", (event) => {
  const element = event.detail.elt;
  if (element.hasAttribute("data-poll") && (document.hidden || isPaused() || isBeingEdited(element))) {
    event.preventDefault();
  }
});

document.addEventListener("visibilitychange", () => {
  if (!document.hidden && !isPaused()) refreshLiveParts();
});

document.addEventListener("click", (event) => {
  if (!event.target.closest("[data-live-toggle]")) return;
  sessionStorage.setItem(PAUSED, isPaused() ? "no" : "yes");
  showLiveState();
  if (!isPaused()) refreshLiveParts();
});

// --- the throughput chart ---------------------------------------------------------------
// The server renders the numbers into data-series; a chart is drawn for each new copy and
// the replaced ones are destroyed, so polling does not leak listeners.

const CHART_HEIGHT = 220;
const charts = new Map();
const resizer = new ResizeObserver((entries) => {
  for (const entry of entries) charts.get(entry.target)?.setSize(chartSize(entry.target));
});

function chartSize(element) {
  return { width: element.clientWidth, height: CHART_HEIGHT };
}

function cssColor(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function lineSeries(label, color) {
  return { label, stroke: cssColor(color), fill: cssColor(`${color}-fill`), width: 2, points: { show: false } };
}

const utc = (seconds) => uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC");
const hourMinute = uPlot.fmtDate("{HH}:{mm}");
const monthDay = uPlot.fmtDate("{MMM} {D}");

/** Times of day for an hour or a day, dates for a week: the rest of the page says UTC. */
function timeLabels(chart, splits) {
  const format = chart.scales.x.max - chart.scales.x.min > 2 * 86400 ? monthDay : hourMinute;
  return splits.map((seconds) => format(utc(seconds)));
}

function drawChart(element) {
  const series = JSON.parse(element.dataset.series);
  const axis = { stroke: cssColor("--muted"), grid: { stroke: cssColor("--border"), width: 1 }, ticks: { show: false } };
  const options = {
    ...chartSize(element),
    tzDate: utc,
    legend: { show: false },
    scales: { y: { range: (chart, min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] } },
    axes: [
      { ...axis, values: timeLabels, size: 32 },
      { ...axis, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 50000] },
    ],
    series: [{}, lineSeries("Completed", "--completed"), lineSeries("Failed", "--failed")],
    cursor: { drag: { x: false, y: false } },
  };
  charts.set(element, new uPlot(options, [series.t, series.completed, series.failed], element));
  resizer.observe(element);
}

// --- the analytics charts ----------------------------------------------------------------
// data-series holds {t, unit, lines: [{label, values, dashed}]}: a line per type (timings: p50
// dashed, p95 solid), each type in its own colour. Null values are gaps (nothing finished).

const PALETTE = ["--series-1", "--series-2", "--series-3", "--series-4", "--series-5", "--series-6"];
const UNIT_VALUES = {
  jobs: (chart, splits) => splits.map((value) => `${value}`),
  percent: (chart, splits) => splits.map((value) => `${Math.round(value * 100)}%`),
  seconds: (chart, splits) => splits.map((value) => (value >= 1 ? `${+value.toFixed(1)} s` : `${Math.round(value * 1000)} ms`)),
};
const UNIT_RANGE = {
  jobs: (chart, min, max) => [0, Math.max(4, Math.ceil(max * 1.15))],
  percent: () => [0, 1],
  seconds: (chart, min, max) => [0, max > 0 ? max * 1.15 : 1],
};

function drawAnalyticsChart(element) {
  const data = JSON.parse(element.dataset.series);
  const axis = { stroke: cssColor("--muted"), grid: { stroke: cssColor("--border"), width: 1 }, ticks: { show: false } };
  const colours = new Map();
  const colourOf = (label) => {
    const type = label.split(" ")[0];
    if (!colours.has(type)) colours.set(type, cssColor(PALETTE[colours.size % PALETTE.length]));
    return colours.get(type);
  };
  const lines = data.lines.map((line) => ({
    label: line.label,
    stroke: colourOf(line.label),
    width: 2,
    dash: line.dashed ? [4, 4] : undefined,
    points: { show: false },
    spanGaps: false,
  }));
  const options = {
    ...chartSize(element),
    tzDate: utc,
    scales: { y: { range: UNIT_RANGE[data.unit] } },
    axes: [{ ...axis, values: timeLabels, size: 32 }, { ...axis, values: UNIT_VALUES[data.unit], size: 56 }],
    series: [{}, ...lines],
    cursor: { drag: { x: false, y: false } },
  };
  charts.set(element, new uPlot(options, [data.t, ...data.lines.map((line) => line.values)], element));
  resizer.observe(element);
}

function forgetReplacedCharts() {
  for (const [element, chart] of charts) {
    if (element.isConnected) continue;
    chart.destroy();
    resizer.unobserve(element);
    charts.delete(element);
  }
}

// --- selecting rows ---------------------------------------------------------------------

function showSelection(form) {
  const boxes = [...form.querySelectorAll("input[name='ids']")];
  const selected = boxes.filter((box) => box.checked).length;
  const wholePage = selected > 0 && selected === boxes.length;
  const all = form.querySelector("[data-select-all]");
  if (all) {
    all.checked = wholePage;
    all.indeterminate = selected > 0 && selected < boxes.length;
  }
  // "Select all N matching" is offered once the whole page is selected, and undone by
  // unticking any row: the form then posts scope=matching, and the server asks with a count.
  const scope = form.querySelector("[data-scope]");
  const offer = form.querySelector("[data-select-matching]");
  if (!wholePage) scope.value = "";
  const matching = scope.value === "matching";
  if (offer) {
    offer.hidden = !wholePage;
    offer.querySelector("[data-page-selected]").hidden = matching;
    offer.querySelector("[data-all-selected]").hidden = !matching;
  }
  form.querySelector("[data-selected-count]").textContent = matching ? "all matching selected" : `${selected} selected`;
  form.querySelectorAll("[data-needs-selection]").forEach((button) => { button.disabled = selected === 0; });
}

function selectRows(form, checked) {
  form.querySelectorAll("input[name='ids']").forEach((box) => { box.checked = checked; });
}

document.addEventListener("change", (event) => {
  const form = event.target.closest("form[data-selection]");
  if (!form) return;
  if (event.target.matches("[data-select-all]")) selectRows(form, event.target.checked);
  showSelection(form);
});

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-choose-matching], [data-clear-selection]");
  const form = button?.closest("form[data-selection]");
  if (!form) return;
  const choose = button.matches("[data-choose-matching]");
  form.querySelector("[data-scope]").value = choose ? "matching" : "";
  if (!choose) selectRows(form, false);
  showSelection(form);
});

// --- the current page in the nav ----------------------------------------------------------

function markCurrentPage() {
  const path = location.pathname;
  document.querySelectorAll("[data-nav]").forEach((link) => {
    const section = link.dataset.nav;
    const current = section === "/" ? path === "/" : path.startsWith(section);
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  });
}

["htmx:pushedIntoHistory", "htmx:replacedInHistory", "htmx:historyRestore"].forEach((name) =>
  document.addEventListener(name, markCurrentPage));

// --- new content --------------------------------------------------------------------------

htmx.onLoad((root) => {
  forgetReplacedCharts();
  within(root, "[data-chart]").forEach(drawChart);
  within(root, "[data-analytics-chart]").forEach(drawAnalyticsChart);
  within(root, "form[data-selection]").forEach(showSelection);
  showLiveState();
});
