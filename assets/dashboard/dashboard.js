// The wxtoken dashboard page. Plain ES module, no build step: it reads the hub's /dashboard/api (cookie session,
// CSRF token from the page's meta tag for every change) and listens to /dashboard/api/events for live updates.
// It never sees the admin key, a token, a ticket or a secret; a new client key is shown once and then forgotten.

const csrf = document.querySelector('meta[name="csrf-token"]').content;
const $ = (selector) => document.querySelector(selector);

const view = { q: '', state: '', kind: '', sort: 'attention', page: 1, size: 50 };
// Server time minus browser time: countdowns follow the hub's clock, not a skewed desktop one.
let clockOffset = 0;
let detailKey = null;
let reloadTimer = null;
let fleetChart = null;
let detailChart = null;

/** Calls the dashboard API; a lost session sends the browser back to the sign-in page. */
async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (method !== 'GET') headers['x-csrf-token'] = csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 401) {
    location.assign('/dashboard/sign-in');
    throw new Error('signed out');
  }
  if (res.status === 204) return null;
  const data = await res.json();
  if (!res.ok) throw new Error(data?.error?.message ?? `HTTP ${res.status}`);
  return data;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') node.textContent = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function now() {
  return Date.now() + clockOffset;
}

/** "1h 02m", "4m 05s", "12s"; negative durations read "… ago". */
function duration(ms) {
  const past = ms < 0;
  let s = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const text = h > 0 ? `${h}h ${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m ${String(s).padStart(2, '0')}s` : `${s}s`;
  return past ? `${text} ago` : text;
}

/** A cell that counts down to (or up from) `at`, updated every second by tick(). */
function countdown(at, mode) {
  if (at === null || at === undefined) return el('td', { class: 'muted', text: '—' });
  return el('td', { 'data-at': at, 'data-mode': mode, title: new Date(at).toISOString(), text: '' });
}

function tick() {
  const t = now();
  for (const cell of document.querySelectorAll('[data-at]')) {
    const at = Number(cell.dataset.at);
    const left = at - t;
    cell.textContent = cell.dataset.mode === 'since' ? duration(left) : left <= 0 ? (cell.dataset.mode === 'expiry' ? 'expired' : 'due') : duration(left);
    cell.classList.toggle('soon', cell.dataset.mode === 'expiry' && left > 0 && left < 300_000);
  }
}

function toast(text, error = false) {
  const node = $('#toast');
  node.textContent = text;
  node.classList.toggle('error', error);
  node.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (node.hidden = true), 4000);
}

// Buttons waiting for their confirming click, by id, until when: a live reload that redraws a button keeps it armed.
const armedUntil = new Map();
const ARM_MS = 4000;

/** A button that asks for a second click (within 4 s) before it acts; no modal dialogs. */
function confirmButton(id, label, confirmLabel, action) {
  const button = el('button', { type: 'button', class: 'danger', text: label });
  const armed = () => (armedUntil.get(id) ?? 0) > Date.now();
  const draw = () => (button.textContent = armed() ? confirmLabel : label);
  draw();
  if (armed()) setTimeout(draw, armedUntil.get(id) - Date.now());
  button.addEventListener('click', async (event) => {
    event.stopPropagation();
    if (!armed()) {
      armedUntil.set(id, Date.now() + ARM_MS);
      draw();
      setTimeout(draw, ARM_MS);
      return;
    }
    armedUntil.delete(id);
    button.disabled = true;
    try {
      await action();
    } catch (err) {
      toast(err.message, true);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

async function refreshCredential(key, button) {
  if (button) button.disabled = true;
  try {
    const result = await api('POST', '/dashboard/api/credentials/refresh', { key });
    toast(`refreshed ${key}; expires ${result.expires_at ? new Date(result.expires_at).toLocaleTimeString() : '—'}`);
    await Promise.all([loadPage(), loadOverview(), detailKey === key ? loadDetail(key) : null]);
  } catch (err) {
    toast(`refresh of ${key} failed: ${err.message}`, true);
  } finally {
    if (button) button.disabled = false;
  }
}

function stateBadge(state) {
  return el('span', { class: `badge ${state}`, text: state });
}

function renderRows(page) {
  const body = $('#credentials tbody');
  body.replaceChildren(
    ...page.rows.map((row) => {
      const actions = el('td', { class: 'actions' });
      if (row.actions.includes('refresh')) {
        const button = el('button', { type: 'button', text: 'Refresh', 'data-action': 'refresh' });
        button.addEventListener('click', (event) => {
          event.stopPropagation();
          refreshCredential(row.key, button);
        });
        actions.append(button);
      }
      const reason = row.reason ? el('td', { class: 'reason', title: row.reason.message, text: `${row.reason.code}${row.reason.errcode !== undefined ? ` (${row.reason.errcode})` : ''}: ${row.reason.message}` }) : el('td', { class: 'muted', text: '—' });
      const tr = el(
        'tr',
        { 'data-key': row.key, class: row.key === detailKey ? 'selected' : undefined, tabindex: 0 },
        el('td', { class: 'mono', text: row.principal }),
        el('td', { text: row.kind }),
        el('td', {}, stateBadge(row.state)),
        countdown(row.expiresAt, 'expiry'),
        countdown(row.nextRefreshAt, 'next'),
        countdown(row.lastRefreshAt, 'since'),
        reason,
        actions,
      );
      tr.addEventListener('click', () => loadDetail(row.key));
      tr.addEventListener('keydown', (event) => event.key === 'Enter' && loadDetail(row.key));
      return tr;
    }),
  );
  if (page.rows.length === 0) body.append(el('tr', {}, el('td', { colspan: 8, class: 'muted', text: 'no credential matches' })));
  $('#page-info').textContent = `page ${page.page} of ${page.pages} · ${page.total} credential${page.total === 1 ? '' : 's'}`;
  $('#prev').disabled = page.page <= 1;
  $('#next').disabled = page.page >= page.pages;
  fillSelect($('#state-filter'), 'every state', page.states, view.state);
  fillSelect($('#kind-filter'), 'every kind', page.kinds, view.kind);
  tick();
  const table = $('#credentials');
  if (!table.dataset.firstRenderMs) table.dataset.firstRenderMs = String(Math.round(performance.now()));
  table.dataset.renderedAt = String(Date.now());
}

function fillSelect(select, label, counts, current) {
  const options = [el('option', { value: '', text: label })];
  for (const [value, n] of Object.entries(counts)) options.push(el('option', { value, text: `${value} (${n})`, selected: value === current }));
  select.replaceChildren(...options);
  select.value = current;
}

async function loadPage() {
  const params = new URLSearchParams({ q: view.q, state: view.state, kind: view.kind, sort: view.sort, page: String(view.page), size: String(view.size) });
  const page = await api('GET', `/dashboard/api/credentials?${params}`);
  clockOffset = page.now - Date.now();
  view.page = page.page;
  renderRows(page);
}

function chart(target, previous, series, height) {
  previous?.destroy();
  target.replaceChildren();
  if (typeof uPlot === 'undefined') {
    target.textContent = 'chart unavailable';
    return null;
  }
  const xs = series.refreshed.map((_, i) => (series.start + i * series.bucketMs) / 1000);
  const bars = uPlot.paths.bars({ size: [0.7, 40] });
  return new uPlot(
    {
      width: Math.max(240, target.clientWidth || 480),
      height,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      series: [{}, { label: 'refreshed', stroke: '#2f7d32', fill: 'rgba(47,125,50,0.35)', paths: bars, points: { show: false } }, { label: 'failed', stroke: '#c62828', fill: 'rgba(198,40,40,0.45)', paths: bars, points: { show: false } }],
      axes: [{}, { size: 40 }],
    },
    [xs, series.refreshed, series.failed],
    target,
  );
}

function renderOverview(data) {
  const { store, upstream } = data;
  $('#health').replaceChildren(
    el('span', { class: `pill ${store.ready ? 'ok' : 'failed'}`, text: `store ${store.ready ? 'ok' : 'unreachable'}` }),
    el('span', {
      class: `pill ${upstream.status === 'degraded' ? 'failed' : upstream.status === 'ok' ? 'ok' : 'pending'}`,
      title: upstream.lastOutageAt ? `last outage ${new Date(upstream.lastOutageAt).toISOString()} (${upstream.lastOutageCode})` : '',
      text: `WeChat ${upstream.status === 'unknown' ? 'not called yet' : upstream.status === 'ok' ? 'reachable' : 'unreachable'}`,
    }),
    // One pill per Open Platform component: how old its verify ticket is (WeChat pushes one every 10 minutes).
    ...(data.verify_tickets ?? []).map((t) =>
      el('span', {
        class: `pill verify-ticket ${t.health === 'fresh' ? 'ok' : t.health === 'late' ? 'pending' : 'failed'}`,
        title: `verify ticket of component ${t.component_appid}: ${t.health}`,
        text: `verify ticket ${t.component_appid.slice(-6)} ${t.age_seconds === null ? 'missing' : `${Math.floor(t.age_seconds / 60)} min`}`,
      }),
    ),
  );
  $('#counts').replaceChildren(
    el('div', { class: 'count total' }, el('strong', { text: String(data.total) }), el('span', { text: 'credentials' })),
    ...Object.entries(data.states).map(([state, n]) =>
      el('button', { type: 'button', class: `count ${state}`, 'data-state': state, onclick: () => setFilter('state', view.state === state ? '' : state) }, el('strong', { text: String(n) }), el('span', { text: state })),
    ),
  );
  fleetChart = chart($('#fleet-chart'), fleetChart, data.fleet, 160);
  const byKind = Object.entries(data.quota.by_kind);
  $('#quota').replaceChildren(
    ...[
    el('p', { class: 'muted', text: `since ${new Date(data.quota.day_start).toISOString().slice(0, 16).replace('T', ' ')} UTC (midnight Asia/Shanghai), as seen by this hub` }),
    byKind.length === 0 ? el('p', { class: 'muted', text: 'no calls yet today' }) : el('ul', {}, ...byKind.map(([kind, n]) => el('li', { text: `${kind}: ${n} call${n === 1 ? '' : 's'}` }))),
    data.quota.busiest.length === 0
      ? null
      : el('table', { class: 'grid compact' }, el('thead', {}, el('tr', {}, el('th', { text: 'busiest credential' }), el('th', { text: 'calls / daily limit' }))), el('tbody', {}, ...data.quota.busiest.map((q) => el('tr', {}, el('td', { class: 'mono', text: q.key }), el('td', { text: q.limit ? `${q.calls} / ${q.limit} (${Math.round((100 * q.calls) / q.limit)} %)` : String(q.calls) }))))),
    ].filter(Boolean),
  );
  $('#errors').replaceChildren(
    ...(data.errors.length === 0
      ? [el('li', { class: 'muted', text: 'no errors seen' })]
      : data.errors.map((e) =>
          el('li', { class: e.final ? 'final' : '' }, el('time', { text: new Date(e.at).toLocaleTimeString() }), ' ', el('span', { class: 'mono', text: e.key }), ` ${e.code}${e.errcode !== undefined ? ` (${e.errcode})` : ''} · ${e.category}${e.final ? ' · gave up' : ' · will retry'}`),
        )),
  );
}

async function loadOverview() {
  renderOverview(await api('GET', '/dashboard/api/overview'));
}

async function loadDetail(key) {
  detailKey = key;
  for (const tr of document.querySelectorAll('#credentials tbody tr')) tr.classList.toggle('selected', tr.dataset.key === key);
  const data = await api('GET', `/dashboard/api/credential?key=${encodeURIComponent(key)}`);
  const { row } = data;
  const section = $('#detail');
  section.hidden = false;
  const buttons = el('div', { class: 'buttons' });
  if (row.actions.includes('refresh')) {
    const button = el('button', { type: 'button', text: 'Force refresh' });
    button.addEventListener('click', () => refreshCredential(row.key, button));
    buttons.append(button);
  }
  const quotaOut = el('span', { class: 'muted' });
  if (data.app) {
    const ask = el('button', { type: 'button', text: 'Ask WeChat for quota' });
    ask.addEventListener('click', async () => {
      try {
        const q = await api('GET', `/dashboard/api/apps/${data.app.appid}/wechat-quota`);
        quotaOut.textContent = `WeChat: ${q.cgi_path} used ${q.used} of ${q.daily_limit} today (${q.remain} left)`;
      } catch (err) {
        quotaOut.textContent = `WeChat quota unavailable: ${err.message}`;
      }
    });
    buttons.append(
      ask,
      confirmButton(`remove-app ${data.app.appid}`, 'Remove app', 'Click again to remove', async () => {
        await api('DELETE', `/dashboard/api/apps/${data.app.appid}`);
        toast(`removed app ${data.app.appid}`);
        section.hidden = true;
        detailKey = null;
        await Promise.all([loadPage(), loadOverview()]);
      }),
    );
  }
  const chartBox = el('div', { class: 'chart' });
  section.replaceChildren(
    el('h2', {}, el('span', { class: 'mono', text: row.key }), ' ', stateBadge(row.state)),
    el(
      'dl',
      { class: 'facts' },
      el('dt', { text: 'principal' }), el('dd', { class: 'mono', text: row.principal }),
      el('dt', { text: 'kind' }), el('dd', { text: row.kind }),
      el('dt', { text: 'expires' }), el('dd', { text: row.expiresAt ? new Date(row.expiresAt).toISOString() : '—' }),
      el('dt', { text: 'next refresh' }), el('dd', { text: row.nextRefreshAt ? new Date(row.nextRefreshAt).toISOString() : '—' }),
      el('dt', { text: 'reason' }), el('dd', { text: row.reason ? `${row.reason.code}: ${row.reason.message}` : '—' }),
      el('dt', { text: 'calls today' }), el('dd', { text: data.daily_limit ? `${data.calls_today} of ${data.daily_limit} a day` : String(data.calls_today) }),
      data.app ? el('dt', { text: 'grant' }) : null, data.app ? el('dd', { text: data.app.grant }) : null,
    ),
    buttons,
    quotaOut,
    el('h3', { text: 'Refreshes, last 24 h' }),
    chartBox,
  );
  detailChart = chart(chartBox, detailChart, data.history, 120);
}

function renderKeys(keys) {
  $('#keys tbody').replaceChildren(
    ...keys.map((k) =>
      el(
        'tr',
        { 'data-key-name': k.name },
        el('td', { class: 'mono', text: k.name }),
        el('td', { text: k.apps.join(', ') }),
        el('td', { text: k.capabilities.join(', ') }),
        el('td', { text: k.expires_at ? new Date(k.expires_at).toISOString().slice(0, 10) : 'never' }),
        el('td', { text: k.last_used_at ? new Date(k.last_used_at).toLocaleString() : 'never' }),
        el(
          'td',
          {},
          confirmButton(`revoke-key ${k.name}`, 'Revoke', 'Click again to revoke', async () => {
            await api('DELETE', `/dashboard/api/keys/${encodeURIComponent(k.name)}`);
            toast(`revoked key ${k.name}`);
            await loadKeys();
          }),
        ),
      ),
    ),
  );
}

async function loadKeys() {
  renderKeys((await api('GET', '/dashboard/api/keys')).keys);
}

function setFilter(name, value) {
  view[name] = value;
  view.page = 1;
  loadPage().catch((err) => toast(err.message, true));
}

/** Coalesces bursts of live events (a fleet refreshing many credentials at once) into one reload a second. */
function scheduleReload() {
  if (reloadTimer !== null) return;
  reloadTimer = setTimeout(async () => {
    reloadTimer = null;
    await Promise.all([loadPage(), loadOverview(), detailKey ? loadDetail(detailKey).catch(() => {}) : null]).catch(() => {});
  }, 1000);
}

function connectLive() {
  const indicator = $('#live');
  const source = new EventSource('/dashboard/api/events');
  source.addEventListener('hello', () => {
    indicator.textContent = '● live';
    indicator.className = 'live on';
  });
  source.addEventListener('credential', (message) => {
    const event = JSON.parse(message.data);
    indicator.textContent = `● live · ${event.type.replace('_', ' ')} ${event.key}`;
    indicator.dataset.lastEvent = `${event.type} ${event.key}`;
    const row = document.querySelector(`#credentials tr[data-key="${CSS.escape(event.key)}"]`);
    if (row) {
      row.classList.remove('flash');
      void row.offsetWidth;
      row.classList.add('flash');
    }
    scheduleReload();
  });
  source.addEventListener('error', () => {
    indicator.textContent = '○ reconnecting';
    indicator.className = 'live off';
  });
}

function wireForms() {
  let searchTimer = null;
  $('#search').addEventListener('input', (event) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => setFilter('q', event.target.value.trim()), 250);
  });
  $('#filters').addEventListener('submit', (event) => event.preventDefault());
  $('#state-filter').addEventListener('change', (event) => setFilter('state', event.target.value));
  $('#kind-filter').addEventListener('change', (event) => setFilter('kind', event.target.value));
  $('#sort').addEventListener('change', (event) => setFilter('sort', event.target.value));
  $('#prev').addEventListener('click', () => {
    view.page = Math.max(1, view.page - 1);
    loadPage();
  });
  $('#next').addEventListener('click', () => {
    view.page += 1;
    loadPage();
  });

  $('#app-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.target;
    const appid = form.appid.value.trim();
    try {
      const result = await api('PUT', `/dashboard/api/apps/${encodeURIComponent(appid)}`, { secret: form.secret.value, grant: form.grant.value });
      toast(`${result.created ? 'added' : 'updated'} app ${appid}`);
      form.reset();
      await Promise.all([loadPage(), loadOverview()]);
    } catch (err) {
      toast(`could not save ${appid}: ${err.message}`, true);
    }
  });

  $('#key-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.target;
    const apps = form.apps.value.split(',').map((s) => s.trim()).filter(Boolean);
    try {
      const created = await api('POST', '/dashboard/api/keys', { name: form.name.value.trim(), apps, sign_only: form.sign_only.checked });
      const box = $('#new-key');
      const value = el('code', { id: 'new-key-value', text: created.key });
      const dismiss = el('button', { type: 'button', text: 'I have copied it' });
      dismiss.addEventListener('click', () => {
        box.hidden = true;
        box.replaceChildren();
      });
      box.replaceChildren(el('p', { text: `Key ${created.name}, shown once (the hub keeps only its hash):` }), value, dismiss);
      box.hidden = false;
      form.reset();
      await loadKeys();
    } catch (err) {
      toast(`could not create the key: ${err.message}`, true);
    }
  });
}

async function main() {
  fillSelect($('#state-filter'), 'every state', {}, '');
  wireForms();
  await Promise.all([loadPage(), loadOverview(), loadKeys()]);
  connectLive();
  setInterval(tick, 1000);
  // Apps and keys changed on another instance reach this page within a minute even without a credential event.
  setInterval(() => scheduleReload(), 30_000);
}

main().catch((err) => toast(err.message, true));
