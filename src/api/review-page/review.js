// The review page: plain browser JavaScript, no build step. Every value shown comes from HubSpot or a model and
// may contain hostile text (prompt injections quote e-mails), so it is only ever set with textContent.

const TOKEN_KEY = 'hsai.reviewToken';
const $ = (sel, root = document) => root.querySelector(sel);

/** Takes `?token=` from the URL into sessionStorage and removes it from the address bar and history. */
function captureToken() {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + (url.search || '') + url.hash);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) ?? ''}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error(data?.error?.message ?? `HTTP ${res.status}`);
    err.status = res.status;
    err.code = data?.error?.code;
    throw err;
  }
  return data;
}

function setStatus(text, kind = '') {
  const el = $('#status');
  el.textContent = text;
  el.dataset.kind = kind;
}

function filterQuery() {
  const form = $('#filters');
  const params = new URLSearchParams();
  for (const name of ['status', 'objectType', 'agent', 'owner']) {
    const v = form.elements[name].value.trim();
    if (v) params.set(name, v);
  }
  return params;
}

function show(value) {
  return value === null || value === undefined || value === '' ? '(empty)' : value;
}

function renderReview(r) {
  const node = $('#review-template').content.firstElementChild.cloneNode(true);
  node.dataset.id = r.id;
  node.dataset.status = r.status;
  $('.target', node).textContent = `${r.objectType} / ${r.objectId}`;
  $('.agent', node).textContent = r.agent;
  $('.what', node).textContent = r.kind === 'property' ? `property ${r.field}` : `new ${r.kind}${r.title ? `: ${r.title}` : ''}`;
  $('.owner', node).textContent = r.ownerId ? `owner ${r.ownerId}` : 'no owner';
  $('.fill', node).style.width = `${Math.round(r.confidence * 100)}%`;
  $('.pct', node).textContent = `${Math.round(r.confidence * 100)}%`;

  const current = r.kind === 'property' ? (r.currentValue !== undefined ? r.currentValue : r.observedValue) : null;
  $('.current .text', node).textContent = r.kind === 'property' ? show(current) : '(a new record is created)';
  if (r.kind === 'property' && r.currentValue !== undefined && (r.currentValue ?? '') !== (r.observedValue ?? '')) {
    $('.current .observed', node).textContent = `Changed since the proposal (the AI saw ${show(r.observedValue)}): approving will be refused as stale.`;
    node.classList.add('changed');
  }
  $('.proposed .text', node).textContent = show(r.proposedValue);
  $('.proposed .edit', node).value = r.proposedValue;

  for (const reason of r.reasons) {
    const li = document.createElement('li');
    const [code, ...rest] = reason.split(':');
    const b = document.createElement('code');
    b.textContent = code;
    li.append(b, document.createTextNode(rest.join(':')));
    $('.reasons', node).append(li);
  }
  $('.rationale', node).textContent = r.rationale ? `Agent: ${r.rationale}` : '';

  const chunks = r.evidenceChunks?.length ? r.evidenceChunks : r.evidence.map((id) => ({ id, text: '' }));
  for (const c of chunks) {
    const li = document.createElement('li');
    const id = document.createElement('code');
    id.textContent = c.id;
    li.append(id);
    if (c.sourceType || c.occurredAt) li.append(document.createTextNode(` ${c.sourceType ?? ''} ${c.occurredAt ?? ''}`));
    if (c.text) {
      const q = document.createElement('blockquote');
      q.textContent = c.text;
      li.append(q);
    }
    $('.chunks', node).append(li);
  }
  $('.evidence summary', node).textContent = `Evidence (${chunks.length})`;
  $('.meta', node).textContent = `run ${r.runId} · model ${r.model} · prompt ${r.promptVersion} · queued ${new Date(r.createdAt).toLocaleString()}` +
    (r.decidedBy ? ` · ${r.status} by ${r.decidedBy}${r.note ? ` (${r.note})` : ''}` : '');

  if (r.status !== 'pending') {
    for (const b of node.querySelectorAll('.actions button, .actions input')) b.disabled = true;
  }
  wireActions(node, r);
  return node;
}

function wireActions(node, r) {
  const result = $('.result', node);
  const edit = $('.proposed .edit', node);
  const done = (text, status) => {
    result.textContent = text;
    node.dataset.status = status;
    for (const b of node.querySelectorAll('.actions button, .actions input')) b.disabled = true;
  };
  const act = async (fn) => {
    for (const b of node.querySelectorAll('.actions button')) b.disabled = true;
    result.textContent = 'Working…';
    try {
      await fn();
    } catch (err) {
      if (err.code === 'STALE') return done(`Stale: ${err.message}`, 'stale');
      result.textContent = `Failed: ${err.message}`;
      for (const b of node.querySelectorAll('.actions button')) b.disabled = false;
    }
  };

  $('.approve', node).addEventListener('click', () =>
    act(async () => {
      const res = await api('POST', `/v1/reviews/${encodeURIComponent(r.id)}/approve`, {});
      done(`Approved and written to HubSpot${res.detail ? ` (${res.detail})` : ''}.`, 'approved');
    }),
  );
  $('.edit-approve', node).addEventListener('click', () => {
    if (edit.hidden) {
      edit.hidden = false;
      $('.proposed .text', node).hidden = true;
      $('.edit-approve', node).textContent = 'Approve edited value';
      edit.focus();
      return;
    }
    void act(async () => {
      await api('POST', `/v1/reviews/${encodeURIComponent(r.id)}/approve`, { value: edit.value });
      done('Approved with your edit and written to HubSpot.', 'approved');
    });
  });
  $('.reject', node).addEventListener('click', () => {
    const reasonInput = $('.reject-reason', node);
    const reason = reasonInput.value.trim();
    if (!reason) {
      result.textContent = 'Say why you reject it (the reason is audited).';
      reasonInput.focus();
      return;
    }
    void act(async () => {
      await api('POST', `/v1/reviews/${encodeURIComponent(r.id)}/reject`, { reason });
      done('Rejected. Nothing was written.', 'rejected');
    });
  });
}

async function load() {
  setStatus('Loading…');
  try {
    const { reviews } = await api('GET', `/v1/reviews?${filterQuery()}`);
    const list = $('#reviews');
    list.replaceChildren(...reviews.map(renderReview));
    setStatus(reviews.length ? `${reviews.length} review${reviews.length === 1 ? '' : 's'}` : 'Nothing to review.', 'ok');
  } catch (err) {
    if (err.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin('That token was not accepted. Paste a valid API token.');
      return;
    }
    setStatus(`Could not load reviews: ${err.message}`, 'error');
  }
}

function showLogin(message) {
  $('#app').hidden = true;
  $('#login').hidden = false;
  if (message) setStatus(message, 'error');
}

function start() {
  const token = captureToken();
  $('#login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('#token-input').value.trim());
    $('#login').hidden = true;
    $('#app').hidden = false;
    void load();
  });
  $('#filters').addEventListener('submit', (e) => {
    e.preventDefault();
    void load();
  });
  $('#sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin();
  });
  if (!token) return showLogin();
  $('#app').hidden = false;
  void load();
}

start();
