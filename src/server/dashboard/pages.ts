/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The dashboard's Content-Security-Policy: scripts, styles and connections from the hub only (no CDN, no inline
 * script), no framing, forms posting back to the hub only.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function head(title: string, extraCss: string[] = []): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    `<title>${escapeHtml(title)}</title>`,
    ...extraCss.map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`),
    '<link rel="stylesheet" href="/dashboard/assets/dashboard.css">',
  ].join('\n');
}

/**
 * The sign-in page: a plain form (no script), so the admin key goes from the operator's keyboard to the hub in a
 * POST body and never reaches the dashboard's JavaScript or a URL.
 */
export function signInPage(csrfToken: string, error?: string): string {
  return [
    head('wxtoken · sign in'),
    '</head>',
    '<body class="sign-in">',
    '<main class="sign-in-box">',
    '<h1>wxtoken</h1>',
    '<p>Sign in with the hub\'s admin key.</p>',
    error === undefined ? '' : `<p class="error" role="alert">${escapeHtml(error)}</p>`,
    '<form method="post" action="/dashboard/sign-in" autocomplete="off">',
    `<input type="hidden" name="_csrf" value="${escapeHtml(csrfToken)}">`,
    '<label for="key">Admin key</label>',
    '<input id="key" name="key" type="password" required autofocus spellcheck="false">',
    '<button type="submit">Sign in</button>',
    '</form>',
    '</main>',
    '</body>',
    '</html>',
  ].join('\n');
}

/**
 * The dashboard page: a shell that dashboard.js fills from the JSON API. The CSRF token rides in a meta tag (it
 * guards state-changing requests; it is not a credential).
 */
export function dashboardPage(csrfToken: string): string {
  return [
    head('wxtoken · dashboard', ['/dashboard/vendor/uPlot.min.css']),
    `<meta name="csrf-token" content="${escapeHtml(csrfToken)}">`,
    '<script src="/dashboard/vendor/uPlot.iife.min.js" defer></script>',
    '<script src="/dashboard/assets/dashboard.js" type="module"></script>',
    '</head>',
    '<body>',
    '<header class="top">',
    '<h1>wxtoken</h1>',
    '<div id="health" class="health" aria-live="polite"></div>',
    '<span id="live" class="live" title="live updates">○ connecting</span>',
    '<form method="post" action="/dashboard/sign-out" class="sign-out">',
    `<input type="hidden" name="_csrf" value="${escapeHtml(csrfToken)}">`,
    '<button type="submit" id="sign-out">Sign out</button>',
    '</form>',
    '</header>',
    '<main>',
    '<section class="summary">',
    '<div id="counts" class="counts"></div>',
    '<div class="card"><h2>Refreshes, last 24 h (fleet)</h2><div id="fleet-chart" class="chart"></div></div>',
    '<div class="card"><h2>WeChat calls today (hub\'s count)</h2><div id="quota"></div></div>',
    '</section>',
    '<section class="card">',
    '<h2>Credentials</h2>',
    '<form id="filters" class="filters" role="search">',
    '<input id="search" type="search" placeholder="search appid, kind, error code" aria-label="search">',
    '<select id="state-filter" aria-label="state"><option value="">every state</option></select>',
    '<select id="kind-filter" aria-label="kind"><option value="">every kind</option></select>',
    '<select id="sort" aria-label="sort"><option value="attention">needs attention first</option><option value="key">by key</option><option value="expiry">soonest expiry first</option></select>',
    '</form>',
    '<table id="credentials" class="grid">',
    '<thead><tr><th>principal</th><th>kind</th><th>state</th><th>expires in</th><th>next refresh</th><th>last refresh</th><th>reason</th><th></th></tr></thead>',
    '<tbody></tbody>',
    '</table>',
    '<nav class="pager"><button id="prev" type="button">‹ prev</button><span id="page-info"></span><button id="next" type="button">next ›</button></nav>',
    '</section>',
    '<section id="detail" class="card" hidden></section>',
    '<section class="columns">',
    '<div class="card">',
    '<h2>Add or update an app</h2>',
    '<form id="app-form" class="stacked" autocomplete="off">',
    '<input name="appid" placeholder="appid (wx + 16 hex digits)" required pattern="wx[0-9a-f]{16}" spellcheck="false">',
    '<input name="secret" type="password" placeholder="AppSecret" required spellcheck="false">',
    '<select name="grant"><option value="stable">stable grant</option><option value="classic">classic grant</option></select>',
    '<button type="submit">Save app</button>',
    '</form>',
    '</div>',
    '<div class="card">',
    '<h2>Client keys</h2>',
    '<form id="key-form" class="stacked" autocomplete="off">',
    '<input name="name" placeholder="name" required maxlength="64">',
    '<input name="apps" placeholder="scopes, comma-separated (appids or *)" required>',
    '<label class="check"><input name="sign_only" type="checkbox"> sign only</label>',
    '<button type="submit">Create key</button>',
    '</form>',
    '<div id="new-key" class="new-key" hidden></div>',
    '<table id="keys" class="grid"><thead><tr><th>name</th><th>scopes</th><th>capabilities</th><th>expires</th><th>last used</th><th></th></tr></thead><tbody></tbody></table>',
    '</div>',
    '</section>',
    '<section class="card"><h2>Recent errors</h2><ul id="errors" class="errors"></ul></section>',
    '</main>',
    '<div id="toast" class="toast" role="status" hidden></div>',
    '</body>',
    '</html>',
  ].join('\n');
}
