// The admin pages' backup parts (issue 7): the Backups section of an app's page (a partial,
// `{{> backups}}`) and the restore confirmation page. Like ./templates.ts, every value goes
// through `{{ }}` (HTML-escaped) and there is no triple-stash (a test checks).

export const BACKUPS_SECTION = `<section class="card" id="backups">
  <h2>Backups</h2>
  {{#if backups.unavailable}}
  <p class="hint">{{backups.unavailable}}</p>
  {{else if backups.error}}
  <div class="flash error" role="alert"><p>Backups could not be read: {{backups.error}}</p></div>
  {{else}}
  {{#each backups.alerts}}
  <div class="flash error" role="alert"><p><strong>{{title}}</strong> {{message}}</p></div>
  {{/each}}
  <dl>
    <dt>Last successful</dt><dd>{{#if backups.status.last}}<code>{{backups.status.last.id}}</code> ({{backups.lastAge}} ago, {{backups.lastSize}}){{else}}never{{/if}}</dd>
    <dt>State</dt><dd><span class="state {{backups.stateClass}}">{{backups.status.state}}</span></dd>
    <dt>Schedule</dt><dd>{{backups.status.schedule}}{{#if backups.status.nextDue}} <span class="hint">next {{backups.status.nextDue}}</span>{{/if}}</dd>
    {{#if backups.status.lastVerify}}<dt>Test restore</dt><dd>{{#if backups.status.lastVerify.ok}}ok{{else}}FAILED{{/if}}: <code>{{backups.status.lastVerify.id}}</code> <span class="hint">{{backups.status.lastVerify.at}}</span></dd>{{/if}}
  </dl>
  <form method="post" action="/apps/{{app.name}}/backups" class="inline">
    <input type="hidden" name="_csrf" value="{{csrf}}">
    <button type="submit">Back up now</button>
  </form>
  <ul class="rows">
  {{#each backups.list}}
    <li><span><code>{{id}}</code> {{#if complete}}{{trigger}} · {{size}}{{else if damaged}}<span class="state failed">damaged</span>{{else}}<span class="state running">incomplete</span>{{/if}}<br>
      <span class="hint">{{#each parts}}{{name}} {{size}} {{/each}}{{reason}}</span></span>
      {{#if complete}}
      <span>
      <form method="post" action="/apps/{{../app.name}}/backups/{{id}}/verify" class="inline">
        <input type="hidden" name="_csrf" value="{{../csrf}}">
        <button type="submit" class="secondary">Verify</button>
      </form>
      <a href="/apps/{{../app.name}}/backups/{{id}}/restore">Restore…</a>
      </span>
      {{/if}}
    </li>
  {{else}}
    <li>No backups yet.</li>
  {{/each}}
  </ul>
  {{#if backups.policy}}
  <details>
    <summary>Schedule and retention</summary>
    <form method="post" action="/apps/{{app.name}}/backups/policy">
      <input type="hidden" name="_csrf" value="{{csrf}}">
      <label for="schedule">Schedule (<code>off</code>, <code>daily</code>, <code>daily@HH:MM</code> UTC, <code>every 6h</code>)</label>
      <input id="schedule" name="schedule" value="{{backups.policy.schedule}}">
      <label for="keepDaily">Keep the newest backup of the last N days</label>
      <input id="keepDaily" name="keepDaily" value="{{backups.policy.keep.daily}}" inputmode="numeric">
      <label for="keepWeekly">Keep the newest backup of the last N weeks</label>
      <input id="keepWeekly" name="keepWeekly" value="{{backups.policy.keep.weekly}}" inputmode="numeric">
      <label class="check"><input type="checkbox" name="verify" value="true"{{#if backups.policy.verify}} checked{{/if}}> test-restore each scheduled backup</label>
      <button type="submit">Save</button>
    </form>
  </details>
  {{/if}}
  {{/if}}
</section>`;

export const BACKUP_RESTORE = `{{#> layout}}
<h1>Restore {{app}} from backup {{backup.id}}?</h1>
<section class="card">
  <dl>
    <dt>Backup</dt><dd><code>{{backup.id}}</code> ({{backup.trigger}})</dd>
    <dt>Taken</dt><dd>{{backup.time}}</dd>
    <dt>Parts</dt><dd>{{#each backup.parts}}{{name}} {{size}}<br>{{/each}}</dd>
  </dl>
</section>
<section class="card danger">
  <h2>Replace the data</h2>
  <p>The restore <strong>replaces</strong> the database, the storage and the message bus definitions of the app
  you choose with what this backup holds. Each part is checked against its checksum first: a damaged backup is
  refused and nothing changes. Stop the app's writers for a clean result.</p>
  <form method="post" action="/apps/{{app}}/backups/{{backup.id}}/restore">
    <input type="hidden" name="_csrf" value="{{csrf}}">
    <label for="into">Restore into</label>
    <select id="into" name="into">{{#each targets}}<option value="{{name}}"{{#if selected}} selected{{/if}}>{{name}}{{#if self}} (this app){{/if}}</option>{{/each}}</select>
    <label class="check"><input type="checkbox" name="backupFirst" value="true" checked> back up what the restore replaces first</label>
    <label for="confirm">Type the name of the app whose data is replaced</label>
    <input id="confirm" name="confirm" autocomplete="off" required>
    <button type="submit" class="danger">Restore</button>
    <a href="/apps/{{app}}">Cancel</a>
  </form>
</section>
{{/layout}}`;
