// The dashboard: numbers at a glance and charts rendered by the server as SVG (parsed as SVG, never as HTML).

import { $, api, el, session } from './common.js';

const CHARTS = [
  ['outcomes', 'What the AI proposed', 'Each day: written automatically within the policy, sent to a person, or refused.'],
  ['backlog', 'Review backlog', 'Suggestions waiting for a person, by how long they have waited.'],
  ['approval', 'Approval rate per agent', 'Of the suggestions people decided in this period, the share they approved.'],
  ['undo', 'Undo rate per agent', 'Of the AI writes in this period, the share someone undid.'],
  ['tokens', 'Tokens per agent per day', 'Prompt and completion tokens of every generation run.'],
  ['cost', 'Cost per agent per day', 'What the model calls cost (0 with the offline provider).'],
];

function svgNode(markup) {
  const doc = new DOMParser().parseFromString(markup, 'image/svg+xml');
  const root = doc.documentElement;
  return root.nodeName === 'svg' ? document.importNode(root, true) : el('p', { class: 'error' }, 'Chart unavailable');
}

function stat(n, label) {
  return el('div', { class: 'stat' }, el('div', { class: 'n' }, n), el('div', { class: 'l' }, label));
}

/**
 * The width in CSS pixels a chart's drawing gets, by the same rule as the stylesheet's grid (two columns of at
 * least 520 px side by side when they fit, one below 760 px); the server draws the SVG at that width, so its text
 * keeps its size on a phone instead of shrinking with the chart.
 */
const GAP = 16;
const CHART_CHROME = 34; // a chart's padding and border
function chartWidth() {
  const total = $('#charts').clientWidth || document.documentElement.clientWidth;
  const columns = window.matchMedia('(max-width: 760px)').matches ? 1 : Math.max(1, Math.floor((total + GAP) / (520 + GAP)));
  const column = (total - GAP * (columns - 1)) / columns;
  return Math.max(280, Math.min(1600, Math.floor(column - CHART_CHROME)));
}

let drawnFor = 0;

async function load() {
  const days = $('#days').value;
  const width = chartWidth();
  $('#status').textContent = 'Loading…';
  try {
    const { stats, charts } = await api('GET', `/v1/dashboard?days=${encodeURIComponent(days)}&width=${width}`);
    drawnFor = width;
    const total = stats.outcomes.reduce((s, o) => s + o.apply + o.review + o.reject, 0);
    const auto = stats.outcomes.reduce((s, o) => s + o.apply, 0);
    const cost = stats.usage.reduce((s, u) => s + u.costUsd, 0);
    const tokens = stats.usage.reduce((s, u) => s + u.inputTokens + u.outputTokens, 0);
    const oldest = stats.backlog.oldestHours;
    $('#numbers').replaceChildren(
      stat(String(total), `proposals in ${days} days`),
      stat(total ? `${Math.round((auto / total) * 100)}%` : '–', 'written automatically'),
      stat(String(stats.backlog.pending), 'waiting for review'),
      stat(oldest === null ? '–' : oldest < 1 ? '< 1 h' : oldest < 24 ? `${Math.round(oldest)} h` : `${Math.round(oldest / 24)} d`, 'oldest waiting'),
      stat(tokens.toLocaleString(), 'model tokens'),
      stat(`$${cost.toFixed(2)}`, 'model cost'),
    );
    $('#charts').replaceChildren(
      ...CHARTS.map(([key, title, text]) => el('section', { class: 'chart', dataset: { chart: key } }, el('h2', {}, title), el('p', {}, text), svgNode(charts[key]))),
    );
    $('#status').textContent = '';
  } catch (err) {
    if (err.status === 401) return location.reload();
    $('#status').textContent = `Could not load the dashboard: ${err.message}`;
  }
}

void session(() => load());
$('#days').addEventListener('change', () => load());
// Turning a phone or resizing a window redraws the charts for the new width (once the resizing settles).
let resizing;
window.addEventListener('resize', () => {
  window.clearTimeout(resizing);
  resizing = window.setTimeout(() => {
    if (drawnFor && Math.abs(chartWidth() - drawnFor) > 24) void load();
  }, 250);
});
