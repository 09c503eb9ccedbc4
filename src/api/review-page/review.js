// The review queue: one screen per decision. Names and owners with links to HubSpot, the change as a diff, the
// reasons in plain words, the sentence that supports the claim highlighted in its source, the scorer's drivers,
// the record's history with undo; search, filters, paging, bulk actions and keyboard shortcuts.

import { $, AGENT_LABEL, ago, api, clipAtWord, el, fieldLabel, formatDate, session } from './common.js';

const PAGE = 25;
const SOURCE_LABEL = { call: 'Call', email: 'E-mail', meeting: 'Meeting', note: 'Note', task: 'Task', ticket: 'Ticket', record: 'Record' };
const TYPE_LABEL = { companies: 'Company', contacts: 'Contact', deals: 'Deal', tickets: 'Ticket' };
const EVENT_TEXT = {
  decided: 'AI proposed',
  applied: 'Written to HubSpot',
  queued: 'Sent to review',
  rejected: 'Refused by the policy',
  failed: 'Failed',
  duplicate: 'Duplicate ignored',
  review_approved: 'Approved',
  review_rejected: 'Rejected',
  review_stale: 'Stale: changed in HubSpot',
  undone: 'Undone',
  undo_skipped: 'Undo skipped',
};
// `unchanged` comes from the API (the write-back's own isUnchanged): a rejection whose only cause is that HubSpot
// already had the value wrote nothing and refused nothing, so it is not shown as a refusal.
function eventText(e) {
  if (e.event === 'rejected' && e.unchanged) return 'Unchanged: HubSpot already had this value';
  return EVENT_TEXT[e.event] ?? e.event;
}

const state = { cursors: [], next: null, reviews: [], focus: -1, role: 'reader' };

function filterParams() {
  const form = $('#filters');
  const params = new URLSearchParams({ details: 'true', limit: String(PAGE) });
  for (const name of ['q', 'status', 'objectType', 'agent', 'owner']) {
    const v = form.elements[name].value.trim();
    if (v) params.set(name, v);
  }
  return params;
}

function setStatus(text, kind = '') {
  const s = $('#status');
  s.textContent = text;
  s.dataset.kind = kind;
}

async function load({ reset = true } = {}) {
  if (reset) state.cursors = [];
  const params = filterParams();
  const before = state.cursors[state.cursors.length - 1];
  if (before) params.set('before', before);
  setStatus('Loading…');
  try {
    const data = await api('GET', `/v1/reviews?${params}`);
    state.reviews = data.reviews;
    state.next = data.next;
    render(data);
    setStatus('');
  } catch (err) {
    if (err.status === 401) return location.reload();
    setStatus(`Could not load the queue: ${err.message}`, 'error');
  }
}

function render(data) {
  const list = $('#reviews');
  list.replaceChildren(...data.reviews.map(renderReview));
  const start = state.cursors.length * PAGE;
  const status = $('#filters').elements.status.selectedOptions[0].textContent.toLowerCase();
  $('#summary').textContent = data.total === 0 ? '' : `${start + 1}–${start + data.reviews.length} of ${data.total} ${status}`;
  $('#older').disabled = !data.next;
  $('#newer').disabled = state.cursors.length === 0;
  if (data.reviews.length === 0) list.append(el('li', { class: 'empty' }, el('strong', {}, 'Nothing here.'), ' ', $('#filters').elements.status.value === 'pending' ? 'No suggestion is waiting for you.' : 'No suggestion matches these filters.'));
  state.focus = -1;
  $('#select-all').checked = false;
  updateBulk();
}

function cards() {
  return [...document.querySelectorAll('li.review')];
}

function renderReview(r) {
  const pending = r.status === 'pending';
  const node = el('li', { class: 'review', tabindex: '-1', dataset: { id: r.id, status: r.status } });
  const recordName = r.record?.label ?? r.recordName ?? `${TYPE_LABEL[r.objectType] ?? r.objectType} ${r.objectId}`;
  const link = r.record?.url
    ? el('a', { class: 'record', href: r.record.url, target: '_blank', rel: 'noopener noreferrer', title: 'Open in HubSpot' }, recordName, el('span', { class: 'ext', 'aria-hidden': 'true' }, ' ↗'))
    : el('span', { class: 'record' }, recordName);
  node.append(
    el('div', { class: 'head' },
      el('input', { type: 'checkbox', class: 'pick', 'aria-label': `Select ${recordName}`, disabled: !pending, onchange: updateBulk }),
      el('div', { class: 'who' },
        link,
        el('span', { class: 'meta-line' },
          el('span', { class: 'type' }, TYPE_LABEL[r.objectType] ?? r.objectType),
          ' · ',
          r.owner ? el('span', { class: 'owner', title: r.owner.email }, `Owner: ${r.owner.name}`) : el('span', { class: 'owner none' }, 'No owner'),
          ' · ',
          el('span', { title: formatDate(r.createdAt, true) }, `suggested ${ago(r.createdAt)}`),
        ),
      ),
      el('span', { class: 'badge agent' }, AGENT_LABEL[r.agent] ?? r.agent),
      el('span', { class: 'what' }, r.kind === 'property' ? fieldLabel(r.field) : r.kind === 'note' ? 'New note' : 'New task'),
      renderConfidence(r),
    ),
  );
  node.append(renderValues(r));
  if (r.drivers?.length) node.append(renderDrivers(r.drivers));
  node.append(renderWhy(r));
  if (r.evidenceChunks?.length || r.evidence.length) node.append(renderEvidence(r));
  node.append(renderTechnical(r));
  node.append(renderActions(r, pending));
  node.append(el('div', { class: 'history', hidden: true }));
  if (!pending && r.decidedBy) {
    node.append(el('p', { class: 'decided' }, `${r.status[0].toUpperCase()}${r.status.slice(1)} by ${r.decidedBy} ${ago(r.decidedAt)}${r.note ? ` — ${r.note}` : ''}`));
  }
  node.addEventListener('focusin', () => (state.focus = cards().indexOf(node)));
  return node;
}

function renderValues(r) {
  const box = el('div', { class: 'values' });
  if (r.kind !== 'property') {
    box.classList.add('single');
    box.append(el('div', { class: 'value proposed' }, el('h3', {}, r.title ? `${r.kind === 'note' ? 'Note' : 'Task'}: ${r.title}` : `Proposed ${r.kind}`), el('div', { class: 'text' }, r.proposedValue), editor(r)));
    return box;
  }
  // An unvalidated scorer's number is shown as an estimate, never as a plain score out of 100.
  const estimate = r.field === 'ai_lead_score' && r.confidenceView?.kind === 'unvalidated';
  const current = r.currentValue !== undefined ? r.currentValue : r.observedValue;
  const changed = r.currentValue !== undefined && (r.currentValue ?? '') !== (r.observedValue ?? '');
  const diff = el('div', { class: 'text diff' });
  for (const part of r.diff ?? [{ op: 'added', text: r.proposedValue }]) {
    if (part.op === 'removed') continue;
    diff.append(part.op === 'added' ? el('ins', {}, part.text) : part.text);
  }
  const before = el('div', { class: 'text' });
  if (!current) before.append(el('span', { class: 'muted' }, '(empty)'));
  else for (const part of r.diff ?? [{ op: 'same', text: current }]) {
    if (part.op === 'added') continue;
    before.append(part.op === 'removed' ? el('del', {}, part.text) : part.text);
  }
  box.append(
    el('div', { class: 'value current' }, el('h3', {}, 'Now in HubSpot'), before,
      changed ? el('p', { class: 'warning' }, `Changed since the AI looked (it saw “${r.observedValue ?? ''}”): approving will be refused as stale.`) : null),
    el('div', { class: 'value proposed' }, el('h3', {}, estimate ? 'Estimate by the AI (not validated)' : 'Suggested by the AI'), diff,
      estimate ? el('p', { class: 'warning estimate' }, 'The lead scorer has not been validated on past deals yet, so this number is an estimate, not a score to rely on. Approving writes it to HubSpot as it is.') : null,
      editor(r)),
  );
  return box;
}

function editor(r) {
  return el('textarea', { class: 'edit', rows: Math.min(10, Math.max(3, r.proposedValue.split('\n').length + 1)), hidden: true, 'aria-label': 'Your edited value' }, r.proposedValue);
}

function renderDrivers(drivers) {
  const max = Math.max(...drivers.map((d) => Math.abs(d.contribution)), 0.01);
  const rows = drivers.map((d) => {
    const w = Math.round((Math.abs(d.contribution) / max) * 100);
    const up = d.contribution >= 0;
    return el('li', {},
      el('span', { class: 'feature' }, d.label ?? d.feature.replace(/=/g, ': ').replace(/_/g, ' ')),
      el('span', { class: 'driver-bar' }, el('span', { class: up ? 'up' : 'down', style: `width:${w / 2}%;${up ? 'left:50%' : `right:50%`}` })),
      el('span', { class: up ? 'effect up' : 'effect down' }, `${up ? 'raises' : 'lowers'} (${up ? '+' : ''}${d.contribution.toFixed(2)})`),
    );
  });
  return el('details', { class: 'drivers', open: true }, el('summary', {}, 'What drives this score'), el('ul', {}, rows));
}

/**
 * What kind of figure the confidence is decides how it is shown (the API's confidenceView): a validated model's
 * calibrated probability ("82% sure"), no figure for a model nobody validated ("Not validated: a person decides",
 * never "0% sure"), or the share of free text backed by its sources ("90% backed by sources").
 */
function renderConfidence(r) {
  const v = r.confidenceView ?? { kind: 'grounding', value: r.confidence, label: `${Math.round(r.confidence * 100)}% backed by sources`, explain: '' };
  const box = el('span', { class: `confidence ${v.kind}`, title: v.explain, dataset: { kind: v.kind } });
  if (v.value === null) {
    box.append(el('span', { class: 'unvalidated-mark', 'aria-hidden': 'true' }, '?'), v.label);
    return box;
  }
  const pct = Math.floor(v.value * 100 + 1e-9);
  box.append(el('span', { class: 'bar' }, el('span', { class: `fill ${pct < 50 ? 'low' : pct < 75 ? 'mid' : 'high'}`, style: `width:${pct}%` })), v.label);
  return box;
}

function renderWhy(r) {
  const list = el('ul', { class: 'reasons' });
  const reasons = r.reasonsExplained ?? r.reasons.map((x) => ({ code: x.split(':')[0], text: x, detail: '' }));
  for (const reason of reasons) {
    if (reason.shown === false) continue;
    list.append(el('li', { title: `code: ${reason.code}` }, el('span', {}, reason.text), reason.repDetail ? el('span', { class: 'detail' }, ` ${reason.repDetail}`) : null));
  }
  const rationale = r.repRationale !== undefined ? r.repRationale : r.rationale;
  return el('details', { class: 'why', open: true },
    el('summary', {}, r.status === 'pending' ? 'Why a person decides' : 'Why it went to a person'),
    list,
    rationale ? el('div', { class: 'rationale' }, el('strong', {}, 'The AI’s reasoning: '), ...rationaleLines(rationale)) : null,
  );
}

function rationaleLines(text) {
  const lines = text.split('\n');
  return lines.length === 1 ? [text] : [el('ul', {}, lines.map((l) => el('li', {}, l)))];
}

/** The developer's record of the decision, collapsed: model, prompt, raw figures, reason codes, rationale as written. */
function renderTechnical(r) {
  const rows = [
    ['Model', r.model],
    ['Prompt', r.promptVersion],
    ['Confidence as recorded', r.confidence.toFixed(2)],
    ...(r.modelValidation ? [['Model validation', r.modelValidation.summary]] : []),
    ...(r.reasonsExplained ?? []).map((x) => [x.code, x.detail || '—']),
    ...(r.rationale ? [['Rationale as recorded', r.rationale]] : []),
  ];
  return el('details', { class: 'tech' },
    el('summary', {}, 'Technical details'),
    el('dl', {}, rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])),
  );
}

/** `at`, moved forward to the start of a word (never past `limit`). */
function snapStart(text, at, limit) {
  if (at <= 0 || /\s/.test(text[at - 1])) return at;
  const next = text.slice(at, limit).search(/\s/);
  return next < 0 ? at : at + next + 1;
}

/** `at`, moved back to the end of a word (never before `limit`). */
function snapEnd(text, at, limit) {
  if (at >= text.length || /\s/.test(text[at])) return at;
  const last = text.slice(limit, at).search(/\s\S*$/);
  return last < 0 ? at : limit + last;
}

/** Shows the chunk around its highlighted sentence; "Show all" reveals the whole chunk. */
function renderChunk(c) {
  const li = el('li', { class: 'chunk' });
  li.append(el('div', { class: 'source' }, el('span', { class: 'badge' }, SOURCE_LABEL[c.sourceType] ?? c.sourceType ?? 'Source'), c.occurredAt ? ` ${formatDate(c.occurredAt)}` : ''));
  const text = c.text ?? '';
  const quote = el('blockquote', {});
  const h = c.highlight;
  const pad = 220;
  // The window around the highlight opens and closes between words, not inside one.
  const start = snapStart(text, h ? Math.max(0, h.start - pad) : 0, h ? h.start : 0);
  const end = snapEnd(text, h ? Math.min(text.length, h.end + pad) : Math.min(text.length, pad * 2), h ? h.end : 0);
  const clipped = start > 0 || end < text.length;
  const fill = (whole) => {
    const a = whole ? 0 : start;
    const b = whole ? text.length : end;
    quote.replaceChildren();
    if (a > 0) quote.append('… ');
    if (h) quote.append(text.slice(a, h.start), el('mark', { title: h.matched.length ? `Shares: ${h.matched.join(', ')}` : undefined }, text.slice(h.start, h.end)), text.slice(h.end, b));
    else quote.append(text.slice(a, b));
    if (b < text.length) quote.append(' …');
  };
  fill(false);
  li.append(quote);
  if (clipped) {
    const toggle = el('button', { type: 'button', class: 'link small' }, 'Show all');
    let whole = false;
    toggle.addEventListener('click', () => {
      whole = !whole;
      fill(whole);
      toggle.textContent = whole ? 'Show less' : 'Show all';
    });
    li.append(toggle);
  }
  return li;
}

function renderEvidence(r) {
  const chunks = r.evidenceChunks?.length ? r.evidenceChunks : [];
  const list = el('ul', { class: 'chunks' }, chunks.map(renderChunk));
  if (!chunks.length) list.append(el('li', { class: 'muted' }, `${r.evidence.length} source(s) cited, no longer in the index.`));
  return el('details', { class: 'evidence', open: true }, el('summary', {}, `Evidence (${chunks.length || r.evidence.length})`), list);
}

function renderActions(r, pending) {
  const result = el('p', { class: 'result', role: 'status' });
  const reason = el('input', { class: 'reject-reason', placeholder: 'Why reject? (kept in the audit log)', 'aria-label': 'Reason to reject', size: 34 });
  const approve = el('button', { type: 'button', class: 'primary approve', title: 'Approve (a)' }, 'Approve');
  const edit = el('button', { type: 'button', class: 'edit-approve', title: 'Edit, then approve (e)' }, 'Edit & approve');
  const reject = el('button', { type: 'button', class: 'danger reject', title: 'Reject (r)' }, 'Reject');
  const history = el('button', { type: 'button', class: 'link history-toggle', title: 'History (h)' }, 'History & undo');
  const box = el('div', { class: 'actions' }, approve, edit, el('span', { class: 'reject-box' }, reason, reject), el('span', { class: 'spacer' }), history);
  if (!pending || state.role === 'reader') for (const b of [approve, edit, reject, reason]) b.disabled = true;
  if (state.role === 'reader' && pending) result.textContent = 'Your token can read the queue; approving needs the reviewer role.';
  history.addEventListener('click', () => toggleHistory(r));
  approve.addEventListener('click', () => decide(r, 'approve'));
  edit.addEventListener('click', () => decide(r, 'edit'));
  reject.addEventListener('click', () => decide(r, 'reject'));
  reason.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') decide(r, 'reject');
  });
  return el('div', {}, box, result);
}

function nodeOf(id) {
  return document.querySelector(`li.review[data-id="${CSS.escape(id)}"]`);
}

async function decide(r, how) {
  const node = nodeOf(r.id);
  if (!node || node.dataset.status !== 'pending') return;
  const result = $('.result', node);
  const textarea = $('.edit', node);
  if (how === 'edit' && textarea.hidden) {
    textarea.hidden = false;
    $('.proposed .text', node).hidden = true;
    $('.edit-approve', node).textContent = 'Approve my edit';
    textarea.focus();
    return;
  }
  const reasonInput = $('.reject-reason', node);
  if (how === 'reject' && !reasonInput.value.trim()) {
    result.textContent = 'Say why you reject it: the reason goes to the audit log.';
    reasonInput.focus();
    return;
  }
  const buttons = node.querySelectorAll('.actions button:not(.history-toggle), .actions input');
  for (const b of buttons) b.disabled = true;
  result.textContent = 'Working…';
  try {
    if (how === 'reject') {
      await api('POST', `/v1/reviews/${encodeURIComponent(r.id)}/reject`, { reason: reasonInput.value.trim() });
      finish(node, 'rejected', 'Rejected. Nothing was written to HubSpot.');
    } else {
      const body = how === 'edit' ? { value: textarea.value } : {};
      const res = await api('POST', `/v1/reviews/${encodeURIComponent(r.id)}/approve`, body);
      finish(node, 'approved', `${how === 'edit' ? 'Approved with your edit' : 'Approved'} and written to HubSpot${res.detail ? ` (${res.detail})` : ''}.`);
    }
  } catch (err) {
    if (err.code === 'STALE') return finish(node, 'stale', `Not written: ${err.message}`);
    result.textContent = `Failed: ${err.message}`;
    for (const b of buttons) b.disabled = false;
  }
}

function finish(node, status, text) {
  node.dataset.status = status;
  $('.result', node).textContent = text;
  for (const b of node.querySelectorAll('.actions button:not(.history-toggle), .actions input, .pick')) b.disabled = true;
  $('.pick', node).checked = false;
  updateBulk();
  if (!$('.history', node).hidden) void loadHistory(node, state.reviews.find((x) => x.id === node.dataset.id));
}

async function toggleHistory(r) {
  const node = nodeOf(r.id);
  const box = $('.history', node);
  box.hidden = !box.hidden;
  if (!box.hidden) await loadHistory(node, r);
}

async function loadHistory(node, r) {
  const box = $('.history', node);
  box.replaceChildren(el('p', { class: 'muted' }, 'Loading the record’s history…'));
  try {
    const { entries } = await api('GET', `/v1/audit?objectType=${encodeURIComponent(r.objectType)}&objectId=${encodeURIComponent(r.objectId)}&limit=200`);
    const undone = new Set(entries.filter((e) => e.event === 'undone').map((e) => e.proposalId));
    const shown = entries.filter((e) => e.event !== 'decided' || e.decision !== 'review').slice(-30).reverse();
    const rows = shown.map((e) => {
      const canUndo = e.event === 'applied' && !e.dryRun && !undone.has(e.proposalId) && state.role !== 'reader';
      const what = e.field ? `${fieldLabel(e.field)}: ${e.previousValue ?? '(empty)'} → ${e.newValue ?? e.proposedValue ?? ''}` : e.kind ? `${e.kind}` : '';
      return el('tr', {},
        el('td', { class: 'when', title: e.at }, formatDate(e.at, true)),
        el('td', {}, eventText(e)),
        clippedCell(what, 140),
        el('td', {}, e.actor.replace(/^agent:/, 'AI ')),
        el('td', {}, canUndo ? el('button', { type: 'button', class: 'small undo', onclick: () => undo(node, r, e.proposalId) }, 'Undo') : ''),
      );
    });
    box.replaceChildren(
      el('h4', {}, 'History of this record'),
      rows.length ? el('table', { class: 'audit' }, el('thead', {}, el('tr', {}, ['When', 'What happened', 'Change', 'By', ''].map((h) => el('th', {}, h)))), el('tbody', {}, rows)) : el('p', { class: 'muted' }, 'Nothing recorded yet.'),
    );
  } catch (err) {
    box.replaceChildren(el('p', { class: 'error' }, `Could not load the history: ${err.message}`));
  }
}

/** A table cell cut at a word boundary, with "Show all" for the whole text. */
function clippedCell(text, max) {
  const short = clipAtWord(text, max);
  const shown = document.createTextNode(short);
  const td = el('td', { class: 'what' }, shown);
  if (short !== text) {
    const toggle = el('button', { type: 'button', class: 'link small' }, 'Show all');
    let whole = false;
    toggle.addEventListener('click', () => {
      whole = !whole;
      shown.textContent = whole ? text : short;
      toggle.textContent = whole ? 'Show less' : 'Show all';
    });
    td.append(' ', toggle);
  }
  return td;
}

async function undo(node, r, proposalId) {
  const result = $('.result', node);
  result.textContent = 'Undoing…';
  try {
    const res = await api('POST', '/v1/writes/undo', { proposalId });
    result.textContent = res.restored + res.archived > 0 ? 'Undone: the previous value is back in HubSpot.' : `Not undone: ${res.detail ?? 'someone changed it since'}.`;
  } catch (err) {
    result.textContent = `Undo failed: ${err.message}`;
  }
  await loadHistory(node, r);
}

function selected() {
  return cards().filter((c) => $('.pick', c).checked).map((c) => c.dataset.id);
}

function updateBulk() {
  const n = selected().length;
  $('#bulk').hidden = n === 0 || state.role === 'reader';
  $('#bulk-count').textContent = `${n} selected`;
}

async function bulk(action) {
  const ids = selected();
  if (!ids.length) return;
  const reason = $('#bulk-reason').value.trim();
  if (action === 'reject' && !reason) {
    setStatus('Say why you reject the selected suggestions.', 'error');
    $('#bulk-reason').focus();
    return;
  }
  setStatus(`${action === 'approve' ? 'Approving' : 'Rejecting'} ${ids.length}…`);
  try {
    const { results } = await api('POST', '/v1/reviews/bulk', { action, ids, ...(action === 'reject' ? { reason } : {}) });
    const counts = {};
    for (const res of results) {
      counts[res.status] = (counts[res.status] ?? 0) + 1;
      const node = nodeOf(res.id);
      if (!node) continue;
      if (res.status === 'approved') finish(node, 'approved', 'Approved and written to HubSpot.');
      else if (res.status === 'rejected') finish(node, 'rejected', `Rejected: ${reason}`);
      else if (res.status === 'stale') finish(node, 'stale', `Not written: ${res.detail ?? 'changed in HubSpot'}`);
      else $('.result', node).textContent = `Not done: ${res.detail ?? res.status}`;
    }
    setStatus(Object.entries(counts).map(([k, v]) => `${v} ${k.replace('_', ' ')}`).join(', '), 'ok');
    $('#bulk-reason').value = '';
  } catch (err) {
    setStatus(`Bulk ${action} failed: ${err.message}`, 'error');
  }
}

function move(delta) {
  const all = cards();
  if (!all.length) return;
  state.focus = Math.min(all.length - 1, Math.max(0, state.focus + delta));
  const node = all[state.focus];
  node.focus();
  node.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
}

function onKey(e) {
  if (e.target.closest?.('input, textarea, select') || e.ctrlKey || e.metaKey || e.altKey) {
    if (e.key === 'Escape') e.target.blur();
    return;
  }
  const node = cards()[state.focus];
  const r = node && state.reviews.find((x) => x.id === node.dataset.id);
  const handlers = {
    j: () => move(1),
    k: () => move(-1),
    '/': () => $('#filters').elements.q.focus(),
    '?': () => $('#help').showModal(),
    x: () => node && ($('.pick', node).disabled || ($('.pick', node).checked = !$('.pick', node).checked), updateBulk()),
    a: () => r && decide(r, 'approve'),
    e: () => r && decide(r, 'edit'),
    r: () => node && $('.reject-reason', node).focus(),
    h: () => r && toggleHistory(r),
    o: () => node && $('a.record', node)?.click(),
  };
  const fn = handlers[e.key];
  if (fn) {
    e.preventDefault();
    fn();
  }
}

async function loadOwners() {
  try {
    const { owners } = await api('GET', '/v1/owners');
    $('#filters').elements.owner.append(...owners.map((o) => el('option', { value: o.id }, o.name)));
  } catch {
    // The filter stays at "Anyone".
  }
}

function start() {
  let started = false;
  void session((s) => {
    state.role = s.role;
    if (started) return load();
    started = true;
    void loadOwners();
    void load();
  });
  $('#filters').addEventListener('submit', (e) => {
    e.preventDefault();
    void load();
  });
  for (const name of ['status', 'objectType', 'agent', 'owner']) $('#filters').elements[name].addEventListener('change', () => load());
  $('#older').addEventListener('click', () => {
    if (!state.next) return;
    state.cursors.push(state.next);
    void load({ reset: false });
  });
  $('#newer').addEventListener('click', () => {
    state.cursors.pop();
    void load({ reset: false });
  });
  $('#select-all').addEventListener('change', (e) => {
    for (const c of cards()) if (!$('.pick', c).disabled) $('.pick', c).checked = e.target.checked;
    updateBulk();
  });
  $('#bulk-approve').addEventListener('click', () => bulk('approve'));
  $('#bulk-reject').addEventListener('click', () => bulk('reject'));
  $('#help-button').addEventListener('click', () => $('#help').showModal());
  document.addEventListener('keydown', onKey);
}

start();
