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

async function load() {
  const days = $('#days').value;
  $('#status').textContent = 'Loading…';
  try {
    const { stats, charts } = await api('GET', `/v1/dashboard?days=${encodeURIComponent(days)}`);
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
