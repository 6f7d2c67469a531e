// The admin pages, as handlebars templates kept in the package's code (tsc ships them in dist,
// no copy step). Every value goes through `{{ }}`, which HTML-escapes it; the pages have no
// triple-stash at all (a test checks). Each page wraps itself in the `layout` partial.

export const LAYOUT = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{{#if refresh}}<meta http-equiv="refresh" content="{{refresh}}">{{/if}}
<title>{{title}} · minicloud</title>
<link rel="stylesheet" href="/static/admin.css">
</head>
<body>
<header>
  <a class="brand" href="/apps">minicloud</a>
  {{#if signedIn}}
  <nav>
    <a href="/apps">Apps</a>
    <a href="/nodes">Nodes</a>
    <a href="/tokens">Tokens</a>
    <a href="/jobs">Jobs</a>
    <a href="/docs">API</a>
    <form method="post" action="/logout" class="inline">
      <input type="hidden" name="_csrf" value="{{csrf}}">
      <button type="submit" class="link">Log out</button>
    </form>
  </nav>
  {{/if}}
</header>
<main>
{{#if flash}}
  <div class="flash {{flash.kind}}" role="{{#if (eq flash.kind "error")}}alert{{else}}status{{/if}}">
    <p>{{flash.message}}</p>
    {{#if flash.fields}}<ul>{{#each flash.fields}}<li><code>{{field}}</code>: {{message}}</li>{{/each}}</ul>{{/if}}
    {{#if flash.secret}}
      <p>{{flash.secret.label}} (shown this once; copy it now):</p>
      <pre class="secret">{{flash.secret.value}}</pre>
    {{/if}}
  </div>
{{/if}}
{{> @partial-block}}
</main>
</body>
</html>`;

export const LOGIN = `{{#> layout}}
<h1>Log in</h1>
<form method="post" action="/login" class="card">
  <input type="hidden" name="_csrf" value="{{csrf}}">
  <label for="token">Admin token</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required>
  <p class="hint">The token from <code>&lt;data dir&gt;/secrets/admin-token</code> on the manager.</p>
  <button type="submit">Log in</button>
</form>
{{/layout}}`;

export const APPS = `{{#> layout}}
{{#each diskWarnings}}
<div class="flash {{#if (eq level "critical")}}error{{else}}warning{{/if}} disk-space" role="alert">
  <p><strong>Disk space {{level}}</strong>: {{reason}}.{{#if (eq level "critical")}} Backups are refused until space is freed.{{/if}}</p>
</div>
{{/each}}
<div class="heading">
  <h1>Apps</h1>
  <a class="button" href="/apps/new">Add an app</a>
</div>
{{#if apps.length}}
<div class="scroll">
<table>
  <thead><tr><th>App</th><th>Health</th><th>Running</th><th>Image</th><th>URLs</th></tr></thead>
  <tbody>
  {{#each apps}}
    <tr>
      <td><a href="/apps/{{name}}">{{name}}</a></td>
      <td>{{#if removal}}<span class="state removing" title="left: {{#each removal.left}}{{part}} {{/each}}">removing</span>{{else}}<span class="health {{health}}">{{health}}</span>{{/if}}{{#each placement}} <span class="state failed" title="{{message}}">node {{node}} {{state}}</span>{{/each}}</td>
      <td>{{running}}/{{desired}}</td>
      <td><code>{{image}}</code></td>
      <td>{{#each urls}}<a href="{{this}}">{{this}}</a> {{/each}}</td>
    </tr>
  {{/each}}
  </tbody>
</table>
</div>
<p class="hint">Refreshes every {{refresh}} seconds.</p>
{{else}}
<p>No apps yet. <a href="/apps/new">Add the first one</a> from an image.</p>
{{/if}}
{{#if server}}
<h2>Server</h2>
{{#if server.disk}}
<p>Disk of <code>{{server.disk.path}}</code>: {{server.disk.used}} used of {{server.disk.total}} ({{server.disk.usedPercent}} %), {{server.disk.free}} free.
The platform takes {{server.disk.platform}}, the apps' storage {{server.disk.apps}} <span class="hint">(measured {{server.disk.measuredAt}})</span>.</p>
{{/if}}
<div class="scroll">
<table class="server">
  <thead><tr><th>Node</th><th>Memory</th><th>Platform</th><th>Apps</th><th>Other stacks</th></tr></thead>
  <tbody>
  {{#each server.nodes}}<tr><td>{{hostname}}</td>{{#if error}}<td colspan="4">{{error}}</td>{{else}}<td>{{total}}</td><td>{{platform}}</td><td>{{apps}}</td><td>{{other}}</td>{{/if}}</tr>
  {{/each}}
  </tbody>
</table>
</div>
{{#if server.apps.length}}
<div class="scroll">
<table class="server-apps">
  <thead><tr><th>App</th><th>Memory</th><th>Storage</th></tr></thead>
  <tbody>
  {{#each server.apps}}<tr><td><a href="/apps/{{app}}">{{app}}</a></td><td>{{memory}}</td><td>{{storage}}</td></tr>
  {{/each}}
  </tbody>
</table>
</div>
{{/if}}
{{/if}}
{{#if services.length}}
<h2>Shared services</h2>
<div class="scroll">
<table class="services">
  <thead><tr><th>Service</th><th>Needs</th><th>State</th><th>Apps</th></tr></thead>
  <tbody>
  {{#each services}}<tr><td><code>{{service}}</code></td><td>{{#each needs}}{{this}} {{/each}}</td><td><span class="state {{state}}" title="{{#if (eq state 'idle')}}stopped: no app needs it and it holds no app data; the first app that needs it starts it{{/if}}">{{state}}</span></td><td>{{#each apps}}<a href="/apps/{{this}}">{{this}}</a> {{else}}none{{/each}}</td></tr>
  {{/each}}
  </tbody>
</table>
</div>
{{/if}}
{{#if events.length}}
<h2>Recent events</h2>
<div class="scroll">
<table class="events">
  <thead><tr><th>Time</th><th>Level</th><th>App</th><th>Who</th><th>What</th></tr></thead>
  <tbody>
  {{#each events}}<tr class="level-{{level}}"><td>{{at}}</td><td><span class="state {{level}}">{{level}}</span></td><td>{{#if app}}<a href="/apps/{{app}}">{{app}}</a>{{else}}-{{/if}}</td><td>{{actor}}</td><td>{{message}}</td></tr>
  {{/each}}
  </tbody>
</table>
</div>
{{/if}}
{{/layout}}`;

export const APP_NEW = `{{#> layout}}
<h1>Add an app</h1>
<form method="post" action="/apps/new" class="card">
  <input type="hidden" name="_csrf" value="{{csrf}}">
  <label for="image">Image</label>
  <input id="image" name="image" value="{{image}}" placeholder="registry.example.com:5443/team/app:1.0" required>
  <p class="hint">The image must carry a <code>cloud_manifest.yml</code> at its root. You see its manifest before anything is deployed.</p>
  <button type="submit">Read the manifest</button>
</form>
<form method="post" action="/apps/compose" class="card">
  <input type="hidden" name="_csrf" value="{{csrf}}">
  <h2>Or from a compose file</h2>
  <label for="compose-name">Name</label>
  <input id="compose-name" name="name" value="{{name}}" placeholder="shop" required>
  <label for="compose">Compose file</label>
  <textarea id="compose" name="compose" rows="14" spellcheck="false" required>{{compose}}</textarea>
  <p class="hint">A compose v3 file; its <code>x-minicloud</code> says which service is served and what the app needs, as a manifest does.</p>
  <button type="submit">Deploy</button>
</form>
{{/layout}}`;

export const APP_PREVIEW = `{{#> layout}}
<h1>Deploy {{manifest.name}}?</h1>
<section class="card">
  <h2>Manifest of <code>{{image}}</code></h2>
  <dl>
    <dt>Name</dt><dd>{{manifest.name}}</dd>
    <dt>Exposes</dt><dd>{{#each manifest.expose}}{{proto}} {{port}} {{else}}nothing{{/each}}</dd>
    <dt>Needs</dt><dd>{{#each manifest.needs}}{{this}} {{else}}nothing{{/each}}</dd>
    <dt>Runners</dt><dd>{{#each manifest.runners}}{{name}} ×{{replicas}} {{else}}none{{/each}}</dd>
    {{#if manifest.healthcheck}}<dt>Healthcheck</dt><dd>{{#if manifest.healthcheck.http}}GET {{manifest.healthcheck.http}}{{else}}command{{/if}} every {{manifest.healthcheck.interval}}</dd>{{/if}}
    {{#if manifest.resources.memory}}<dt>Memory</dt><dd>{{manifest.resources.memory}}</dd>{{/if}}
  </dl>
  <details><summary>{{file}}</summary><pre>{{text}}</pre></details>
</section>
<form method="post" action="/apps" class="card">
  <input type="hidden" name="_csrf" value="{{csrf}}">
  <input type="hidden" name="image" value="{{image}}">
  <label for="name">Name (optional, instead of {{manifest.name}})</label>
  <input id="name" name="name" value="">
  <label for="domains">Extra domains (optional, separated by spaces)</label>
  <input id="domains" name="domains" value="" placeholder="www.example.com">
  <label for="replicas">Replicas</label>
  <input id="replicas" name="replicas" value="1" inputmode="numeric">
  <button type="submit">Deploy</button>
  <a href="/apps/new">Cancel</a>
</form>
{{/layout}}`;

export const APP = `{{#> layout}}
<div class="heading">
  <h1>{{app.name}} {{#if app.removal}}<span class="state removing">removing</span>{{else}}<span class="health {{app.health}}">{{app.health}}</span>{{/if}}</h1>
  <a href="/apps/{{app.name}}/logs">Logs</a>
{{#unless app.removal}}
  <form method="post" action="/apps/{{app.name}}/restart" class="inline">
    <input type="hidden" name="_csrf" value="{{csrf}}">
    <button type="submit">Restart</button>
  </form>
  {{/unless}}
</div>
{{#if app.removal}}
<section class="card removing">
  <p>This app is being removed{{#if app.removal.purge}} with its data{{/if}}, since {{app.removal.startedAt}}. What is left:</p>
  <ul>{{#each app.removal.left}}<li><strong>{{part}}</strong>: {{reason}}</li>{{/each}}</ul>
  <p>Run <code>minicloud app rm {{app.name}}{{#if app.removal.purge}} --purge{{/if}}</code> again to finish; until then no change can be made to it.</p>
</section>
{{/if}}
{{#if app.placement}}
<section class="card removing">
  <p>A node this app needs is lost:</p>
  <ul>{{#each app.placement}}<li><strong>{{node}}</strong> ({{state}}): {{message}}</li>{{/each}}</ul>
</section>
{{/if}}
<section class="card">
  <dl>
    <dt>Image</dt><dd><code>{{app.image}}</code></dd>
    <dt>Replicas</dt><dd>{{app.replicas}}</dd>
    <dt>URLs</dt><dd>{{#each app.urls}}<a href="{{this}}">{{this}}</a><br>{{else}}none (the app exposes no http port){{/each}}</dd>
    <dt>Updated</dt><dd>{{app.updatedAt}}</dd>
  </dl>
</section>

<section class="card">
  <h2>Services</h2>
  <div class="scroll">
  <table>
    <thead><tr><th>Service</th><th>Running</th><th>Task</th><th>State</th><th>Node</th><th>Error</th></tr></thead>
    <tbody>
    {{#each app.services}}
      {{#each tasks}}
      <tr><td>{{../name}}</td><td>{{../running}}/{{../desired}}</td><td><code>{{short id}}</code></td><td>{{state}}</td><td><code>{{short node}}</code></td><td>{{error}}</td></tr>
      {{else}}
      <tr><td>{{name}}</td><td>{{running}}/{{desired}}</td><td colspan="4">no tasks</td></tr>
      {{/each}}
    {{/each}}
    </tbody>
  </table>
  </div>
</section>

{{#if stats}}
<section class="card">
  <h2>Last hour</h2>
  <div class="charts">
  {{#each stats.charts}}
  <figure class="chart">
    <figcaption>{{summary}}</figcaption>
    <svg viewBox="0 0 {{width}} {{height}}" preserveAspectRatio="none" role="img" aria-label="{{summary}}" focusable="false">
      <rect x="0" y="0" width="{{width}}" height="{{height}}" class="chart-box"/>
      {{#each segments}}<polyline points="{{this}}" class="chart-line"/>{{/each}}
    </svg>
  </figure>
  {{/each}}
  </div>
  <p class="hint">One sample a minute ({{stats.samples}} so far), all tasks together.</p>
  {{#if stats.tasks.length}}
  <div class="scroll">
  <table>
    <thead><tr><th>Task</th><th>Node</th><th>CPU</th><th>Memory / limit</th><th>Net in / out</th><th>Restarts</th></tr></thead>
    <tbody>
    {{#each stats.tasks}}
      <tr><td>{{task}}</td><td>{{node}}</td>{{#if error}}<td colspan="3">{{error}}</td>{{else}}<td>{{cpu}}</td><td>{{memory}}</td><td>{{network}}</td>{{/if}}<td>{{restarts}}</td></tr>
    {{/each}}
    </tbody>
  </table>
  </div>
  {{/if}}
</section>
{{/if}}

{{#unless app.removal}}
<section class="card">
  <h2>Update</h2>
  <form method="post" action="/apps/{{app.name}}/update">
    <input type="hidden" name="_csrf" value="{{csrf}}">
    {{#if composeFile}}
    <label for="compose">Compose file</label>
    <textarea id="compose" name="compose" rows="14" spellcheck="false">{{composeFile}}</textarea>
    {{else}}
    <label for="image">Image</label>
    <input id="image" name="image" value="{{app.image}}">
    <label for="replicas">Replicas</label>
    <input id="replicas" name="replicas" value="{{app.replicas}}" inputmode="numeric">
    {{/if}}
    <button type="submit">Update</button>
  </form>
</section>
{{/unless}}

<section class="card">
  <h2>Needs</h2>
  <ul class="rows">
  {{#each app.needs}}
    <li><span>{{this}}</span>
      <form method="post" action="/apps/{{../app.name}}/needs/{{this}}/detach" class="inline">
        <input type="hidden" name="_csrf" value="{{../csrf}}">
        <label class="check"><input type="checkbox" name="purge" value="true"> drop its data</label>
        <button type="submit" class="secondary">Detach</button>
      </form>
    </li>
  {{else}}
    <li>none</li>
  {{/each}}
  </ul>
  {{#if missingNeeds.length}}
  <form method="post" action="/apps/{{app.name}}/needs">
    <input type="hidden" name="_csrf" value="{{csrf}}">
    <label for="need">Attach</label>
    <select id="need" name="need">{{#each missingNeeds}}<option value="{{this}}">{{this}}</option>{{/each}}</select>
    <button type="submit">Attach</button>
  </form>
  {{/if}}
</section>

<section class="card">
  <h2>Domains and certificates</h2>
  <ul class="rows">
  {{#each app.domains}}
    <li><span>{{this}}</span>
      {{#unless @first}}
      <form method="post" action="/apps/{{../app.name}}/domains/{{this}}/remove" class="inline">
        <input type="hidden" name="_csrf" value="{{../csrf}}">
        <button type="submit" class="secondary">Remove</button>
      </form>
      {{else}}<span class="hint">default</span>{{/unless}}
    </li>
  {{/each}}
  </ul>
  {{#if app.certificates}}
  <div class="scroll">
  <table>
    <thead><tr><th>Domain</th><th>Certificate from</th><th>Valid until</th><th>Last ACME attempt</th><th>Next</th><th>Last error</th></tr></thead>
    <tbody>
    {{#each app.certificates}}
      <tr><td>{{domain}}</td><td>{{issuer}}</td><td>{{notAfter}}</td><td>{{lastAttempt}}</td><td>{{nextAttempt}}</td><td>{{lastError}}</td></tr>
    {{/each}}
    </tbody>
  </table>
  </div>
  <p class="hint">acme: Let's Encrypt (or the platform's ACME server); platform-ca: the platform's own CA, until ACME issues one or when ACME is off; uploaded: yours, never replaced.</p>
  {{/if}}
  <form method="post" action="/apps/{{app.name}}/domains">
    <input type="hidden" name="_csrf" value="{{csrf}}">
    <label for="domain">Add a domain</label>
    <input id="domain" name="domain" placeholder="www.example.com">
    <details>
      <summary>Your own certificate (otherwise the ACME server issues one, or the platform CA when ACME is off; for a domain the app has, it replaces the current one)</summary>
      <label for="certificatePem">Certificate (PEM)</label>
      <textarea id="certificatePem" name="certificatePem" rows="4"></textarea>
      <label for="privateKeyPem">Private key (PEM)</label>
      <textarea id="privateKeyPem" name="privateKeyPem" rows="4"></textarea>
    </details>
    <button type="submit">Add domain</button>
  </form>
</section>

<section class="card">
  <h2>Deploy tokens and webhook</h2>
  <p class="hint">A deploy token can only update this app: give it to a CI pipeline
  (<code>PATCH /v1/apps/{{app.name}}</code> with <code>Authorization: Bearer …</code>).</p>
  <ul class="rows">
  {{#each tokens}}
    <li><span><code>{{id}}</code> {{description}} <span class="hint">{{createdAt}}</span></span>
      <form method="post" action="/tokens/{{id}}/revoke" class="inline">
        <input type="hidden" name="_csrf" value="{{../csrf}}">
        <input type="hidden" name="back" value="/apps/{{../app.name}}">
        <button type="submit" class="secondary">Revoke</button>
      </form>
    </li>
  {{/each}}
  </ul>
  <form method="post" action="/tokens">
    <input type="hidden" name="_csrf" value="{{csrf}}">
    <input type="hidden" name="app" value="{{app.name}}">
    <label for="description">New token for</label>
    <input id="description" name="description" placeholder="e.g. GitLab CI">
    <button type="submit">Make a deploy token</button>
  </form>
  <p>Webhook: {{#if webhook.enabled}}on since {{webhook.createdAt}}{{else}}off{{/if}}</p>
  <form method="post" action="/apps/{{app.name}}/webhook" class="inline">
    <input type="hidden" name="_csrf" value="{{csrf}}">
    <button type="submit">{{#if webhook.enabled}}Replace the webhook URL{{else}}Make a webhook URL{{/if}}</button>
  </form>
  {{#if webhook.enabled}}
  <form method="post" action="/apps/{{app.name}}/webhook/remove" class="inline">
    <input type="hidden" name="_csrf" value="{{csrf}}">
    <button type="submit" class="secondary">Remove the webhook</button>
  </form>
  {{/if}}
</section>

{{> backups}}

<section class="card danger">
  <h2>Remove</h2>
  <form method="post" action="/apps/{{app.name}}/remove">
    <input type="hidden" name="_csrf" value="{{csrf}}">
    <label for="confirm">Type <code>{{app.name}}</code> to remove the app</label>
    <input id="confirm" name="confirm" autocomplete="off">
    <label class="check"><input type="checkbox" name="purge" value="true"> also drop its database, message bus and storage</label>
    <button type="submit" class="danger">Remove {{app.name}}</button>
  </form>
</section>
{{/layout}}`;

export const LOGS = `{{#> layout}}
<div class="heading"><h1>Logs of <a href="/apps/{{app}}">{{app}}</a></h1>
{{#if follow}}<a href="{{stopHref}}">Stop following</a>{{else}}<a href="{{followHref}}">Follow live</a>{{/if}}</div>
<form method="get" action="/apps/{{app}}/logs" class="filters">
  <label>Service <select name="runner"><option value="">all</option>{{#each services}}<option value="{{this}}"{{#if (eq this ../runner)}} selected{{/if}}>{{this}}</option>{{/each}}</select></label>
  <label>Last <input name="tail" value="{{tail}}" size="5" inputmode="numeric"> lines</label>
  <label>Since <input name="since" value="{{since}}" size="16" placeholder="10m, 2h, 3d or a time"></label>
  {{#if follow}}<input type="hidden" name="follow" value="1">{{/if}}
  <button type="submit">Show</button>
</form>
{{#if follow}}<p class="hint">Following: new lines appear at the end as they are written.</p>{{/if}}
<pre class="logs">{{#each lines}}{{task}}@{{node}} {{time}} {{line}}
{{/each}}{{#if follow}}<!--follow-->{{/if}}</pre>
{{#unless follow}}{{#unless failed}}{{#unless lines.length}}<p>No log lines yet.</p>{{/unless}}{{/unless}}{{/unless}}
{{/layout}}`;

export const JOB = `{{#> layout}}
<h1>{{job.kind}} {{job.app}}</h1>
<p>State: <span class="state {{job.state}}">{{job.state}}</span>{{#if running}} <span class="hint">(this page refreshes until it is done)</span>{{/if}}</p>
<ol class="progress">
{{#each job.progress}}<li><span class="hint">{{at}}</span> {{step}}</li>{{/each}}
</ol>
{{#if job.problem}}
<div class="flash error" role="alert">
  <p>{{job.problem.detail}} <code>{{job.problem.code}}</code></p>
  {{#if job.problem.errors}}<ul>{{#each job.problem.errors}}<li><code>{{field}}</code>: {{message}}</li>{{/each}}</ul>{{/if}}
</div>
{{/if}}
{{#if next}}<p><a class="button" href="{{next}}">Continue</a></p>{{/if}}
{{/layout}}`;

export const JOBS = `{{#> layout}}
<h1>Jobs</h1>
{{#if jobs.length}}
<div class="scroll">
<table>
  <thead><tr><th>Job</th><th>App</th><th>State</th><th>Started</th></tr></thead>
  <tbody>
  {{#each jobs}}<tr><td><a href="/jobs/{{id}}">{{kind}}</a></td><td>{{app}}</td><td><span class="state {{state}}">{{state}}</span></td><td>{{createdAt}}</td></tr>{{/each}}
  </tbody>
</table>
</div>
{{else}}<p>No recent jobs.</p>{{/if}}
{{/layout}}`;

export const NODES = `{{#> layout}}
<h1>Nodes</h1>
<div class="scroll">
<table>
  <thead><tr><th>Node</th><th>Role</th><th>State</th><th>Availability</th><th>Address</th><th>Labels</th><th></th></tr></thead>
  <tbody>
  {{#each nodes}}
  <tr>
    <td><code>{{short id}}</code> {{hostname}}{{#if leader}} (leader){{/if}}</td>
    <td>{{role}}</td><td>{{state}}</td><td>{{availability}}</td><td>{{address}}</td>
    <td>{{#each labels}}<code>{{@key}}={{this}}</code> {{/each}}</td>
    <td>
      <form method="post" action="/nodes/{{id}}" class="inline">
        <input type="hidden" name="_csrf" value="{{../csrf}}">
        {{#if (eq availability "drain")}}
        <input type="hidden" name="availability" value="active"><button type="submit" class="secondary">Activate</button>
        {{else}}
        <input type="hidden" name="availability" value="drain"><button type="submit" class="secondary">Drain</button>
        {{/if}}
      </form>
    </td>
  </tr>
  {{/each}}
  </tbody>
</table>
</div>
<section class="card">
  <h2>Labels</h2>
  <form method="post" action="/nodes/labels">
    <input type="hidden" name="_csrf" value="{{csrf}}">
    <label for="node">Node</label>
    <select id="node" name="node">{{#each nodes}}<option value="{{id}}">{{short id}} {{hostname}}</option>{{/each}}</select>
    <label for="labels">Labels (<code>key=value</code> to set, <code>key=</code> to remove, separated by spaces)</label>
    <input id="labels" name="labels">
    <button type="submit">Apply</button>
  </form>
</section>
<section class="card">
  <h2>Add a node</h2>
  <p>On a fresh Debian/Ubuntu machine, as root, run the join command. It holds credentials: show it only where no one else reads along.</p>
  <form method="post" action="/nodes/join-command" class="inline">
    <input type="hidden" name="_csrf" value="{{csrf}}">
    <button type="submit">Show the join command</button>
  </form>
</section>
{{/layout}}`;

export const TOKENS = `{{#> layout}}
<h1>Deploy tokens</h1>
<p class="hint">Each token may only update one app. Make one on the app's page.</p>
{{#if tokens.length}}
<div class="scroll">
<table>
  <thead><tr><th>Id</th><th>App</th><th>Description</th><th>Created</th><th></th></tr></thead>
  <tbody>
  {{#each tokens}}
  <tr><td><code>{{id}}</code></td><td><a href="/apps/{{app}}">{{app}}</a></td><td>{{description}}</td><td>{{createdAt}}</td>
    <td><form method="post" action="/tokens/{{id}}/revoke" class="inline">
      <input type="hidden" name="_csrf" value="{{../csrf}}">
      <button type="submit" class="secondary">Revoke</button>
    </form></td></tr>
  {{/each}}
  </tbody>
</table>
</div>
{{else}}<p>No deploy tokens.</p>{{/if}}
{{/layout}}`;

export const ERROR = `{{#> layout}}
<h1>{{heading}}</h1>
<div class="flash error" role="alert"><p>{{message}}</p></div>
<p><a href="{{back}}">Back</a></p>
{{/layout}}`;

export const CSS = `*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#f4f5f7}
header{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;padding:.6rem 1rem;background:#1d2330}
header a,header .link{color:#fff;text-decoration:none}
.brand{font-weight:700;margin-right:auto}
nav{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center}
main{max-width:960px;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem;overflow-wrap:anywhere}
h2{font-size:1.1rem;margin:0 0 .75rem;overflow-wrap:anywhere}
code{overflow-wrap:anywhere}
button+a{margin-left:.75rem}
.heading{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;gap:.5rem}
.card{background:#fff;border:1px solid #d8dbe2;border-radius:8px;padding:1rem;margin:0 0 1rem}
.card.danger{border-color:#e3a0a0}
label{display:block;font-weight:600;margin:.6rem 0 .25rem}
label.check{display:inline-flex;gap:.35rem;font-weight:400;margin:0 .5rem 0 0;align-items:center}
input,select,textarea{width:100%;max-width:100%;padding:.55rem;font:inherit;border:1px solid #b9bfcc;border-radius:6px;background:#fff}
input[type=checkbox]{width:auto}
button,.button{display:inline-block;margin-top:.75rem;padding:.55rem 1rem;font:inherit;font-weight:600;color:#fff;background:#2557d6;border:0;border-radius:6px;cursor:pointer;text-decoration:none}
button.secondary{background:#5b6475;margin-top:0;padding:.35rem .7rem}
button.danger{background:#b3261e}
button.link{background:none;margin:0;padding:0;font-weight:400}
form.inline{display:inline-flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin:0}
.scroll{overflow-x:auto}
table{width:100%;border-collapse:collapse;background:#fff}
th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid #e3e5ea;vertical-align:top}
td code{white-space:nowrap}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:0}
dt{font-weight:600}dd{margin:0;word-break:break-word}
ul.rows{list-style:none;padding:0;margin:0 0 .5rem}
ul.rows li{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;gap:.5rem;padding:.35rem 0;border-bottom:1px solid #eef0f3}
pre{overflow-x:auto;background:#f0f2f5;padding:.75rem;border-radius:6px;font-size:.85rem;white-space:pre-wrap;word-break:break-all}
pre.logs{white-space:pre;max-height:70vh}
.hint{color:#5b6475;font-size:.9rem}
.flash{border-radius:8px;padding:.5rem 1rem;margin:0 0 1rem;border:1px solid}
.flash.ok{background:#e7f6ec;border-color:#8fd0a4}
.flash.error{background:#fdecea;border-color:#e3a0a0}
.flash.warning{background:#fff6e0;border-color:#e8c46a}
.health,.state{display:inline-block;padding:0 .5rem;border-radius:999px;font-size:.85rem;font-weight:600;background:#e3e5ea}
.healthy,.succeeded{background:#d4f0dc;color:#17643a}
.starting,.running,.queued{background:#fff1c7;color:#7a5600}
.degraded{background:#ffe0c2;color:#8a3d00}
.down,.failed,.interrupted,.removing{background:#fbd5d2;color:#8c1d18}
section.removing{border-color:#e3a0a0}
.state.warning{background:#ffe0c2;color:#8a3d00}
.state.error{background:#fbd5d2;color:#8c1d18}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:.75rem}
.chart{margin:0;min-width:0}
.chart figcaption{font-size:.85rem;color:#5b6475;margin-bottom:.25rem}
.chart svg{display:block;width:100%;height:60px}
.chart-box{fill:#f0f2f5}
.chart-line{fill:none;stroke:#2557d6;stroke-width:2;vector-effect:non-scaling-stroke;stroke-linejoin:round}
@media (max-width:600px){main{padding:.6rem}th,td{padding:.35rem}dl{grid-template-columns:1fr}dt{margin-top:.4rem}}
`;
