// Shared by the review queue and the dashboard: plain browser JavaScript, no build step. Everything shown comes
// from HubSpot or a model and may hold hostile text, so it is only ever set as text (never as HTML).

export const $ = (sel, root = document) => root.querySelector(sel);

/** Builds an element: el('a', { href, class: 'x' }, 'text', child). Strings become text nodes. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (v === true) node.setAttribute(k, '');
    else node.setAttribute(k, String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) node.append(c instanceof Node ? c : String(c));
  return node;
}

export class ApiFailure extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Calls the API with the session cookie (same origin); errors carry the API's code. */
export async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return null;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiFailure(data?.error?.message ?? `HTTP ${res.status}`, res.status, data?.error?.code);
  return data;
}

/** Shows who is signed in and wires sign-in/sign-out; resolves with the session, or null when signed out. */
export async function session(onSignedIn) {
  const who = $('#who');
  const signOut = $('#sign-out');
  const loginForm = $('#login-form');
  const show = (s) => {
    who.textContent = s ? `${s.name} · ${s.role}` : '';
    signOut.hidden = !s;
    $('#login').hidden = Boolean(s);
    $('#app').hidden = !s;
  };
  signOut.addEventListener('click', async () => {
    await api('DELETE', '/v1/session').catch(() => undefined);
    show(null);
    $('#token-input').focus();
  });
  loginForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const input = $('#token-input');
    $('#login-error').textContent = '';
    try {
      const s = await api('POST', '/v1/session', { token: input.value.trim() });
      input.value = '';
      show(s);
      onSignedIn(s);
    } catch (err) {
      $('#login-error').textContent = err.status === 401 ? 'That token was not accepted.' : `Could not sign in: ${err.message}`;
    }
  });
  try {
    const s = await api('GET', '/v1/session');
    show(s);
    onSignedIn(s);
    return s;
  } catch {
    show(null);
    $('#token-input').focus();
    return null;
  }
}

/** At most `max` characters, cut at a word boundary, ending in "…" (the same rule as src/core/clip-text.ts). */
export function clipAtWord(text, max) {
  if (text.length <= max) return text;
  if (max < 2) return '…'.slice(0, Math.max(0, max));
  let room = text.slice(0, max - 1);
  if (/[\uD800-\uDBFF]$/.test(room)) room = room.slice(0, -1);
  const boundary = /\s/.test(text[room.length] ?? '') ? room.length : room.search(/\s\S*$/);
  const cut = boundary > max * 0.6 ? room.slice(0, boundary) : room;
  return `${cut.replace(/[\s,;:(–—-]+$/, '')}…`;
}

export function formatDate(iso, withTime = false) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return withTime
    ? d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

export function ago(iso) {
  const ms = Date.now() - new Date(iso).getTime();
  if (!Number.isFinite(ms)) return '';
  const m = Math.round(ms / 60_000);
  if (m < 1) return 'just now';
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  return `${Math.round(h / 24)} d ago`;
}

export const AGENT_LABEL = {
  call_summary: 'Call summary',
  lead_score: 'Lead score',
  reply_draft: 'Reply draft',
  account_summary: 'Account summary',
  enrichment: 'Enrichment',
};

const FIELD_LABEL = {
  lifecyclestage: 'Lifecycle stage',
  hs_lead_status: 'Lead status',
  dealstage: 'Deal stage',
  pipeline: 'Pipeline',
  hubspot_owner_id: 'Owner',
  amount: 'Amount',
  closedate: 'Close date',
};

/** `ai_next_steps` → "AI next steps"; known core fields by their HubSpot label. */
export function fieldLabel(field) {
  if (!field) return '';
  if (FIELD_LABEL[field]) return FIELD_LABEL[field];
  const words = field.replace(/^hs_/, '').split('_');
  const text = words.map((w, i) => (w === 'ai' ? 'AI' : i === 0 ? w[0].toUpperCase() + w.slice(1) : w)).join(' ');
  return text;
}
