// The pipeline cards: runs, reconciliation, checks, queue depth, catalog, the meter and the health line.
import { count, el, getJson, load, ms, table } from './dom.js';

function stepList(steps) {
  return el(
    'ol',
    { class: 'steps' },
    steps.map((s) =>
      el(
        'li',
        { class: s.status, title: s.error ? `${s.error.code}: ${s.error.message}` : null },
        `${s.name}: ${s.status}${s.status === 'failed' && s.error ? ` (${s.error.code})` : ''}` +
          `${s.seconds === null ? '' : ` ${s.seconds.toFixed(2)} s`}${s.attempts > 1 ? ` (${s.attempts} attempts)` : ''}`,
      ),
    ),
  );
}

function seconds(run) {
  if (!run.finishedAt) return 'running';
  return `${((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000).toFixed(2)} s`;
}

export async function showPipeline() {
  const runsCard = document.getElementById('runs');
  const reconciliationCard = document.getElementById('reconciliation');
  const checksCard = document.getElementById('checks');
  const runs = getJson('/runs?limit=5').then((body) => body.runs);
  await Promise.all([
    load(runsCard, async () => {
      const list = await runs;
      const body = runsCard.querySelector('.body');
      body.replaceChildren();
      if (list.length === 0) return { empty: 'No batch run yet: run `pipeline run` or `pipeline batch`.' };
      body.append(
        table(
          [
            { label: 'run' },
            { label: 'status' },
            { label: 'started (UTC)' },
            { label: 'took', num: true },
            { label: 'steps (DAG order)' },
          ],
          list.map((run) => [
            run.runId,
            el('span', { class: `badge ${run.status}`, text: run.status }),
            run.startedAt.replace('T', ' ').slice(0, 19),
            seconds(run),
            stepList(run.steps),
          ]),
        ),
      );
      const latest = list.find((run) => run.pipelineRun);
      if (latest) {
        const p = latest.pipelineRun;
        body.append(
          el('p', {
            class: 'note',
            text: `Stage times of pipeline run ${latest.runId}: ${p.stages.map((s) => `${s.name} ${s.seconds.toFixed(2)} s`).join(', ')}; ${count(Math.round(p.eventsPerSecond))} events/s over ${p.totalSeconds.toFixed(1)} s.`,
          }),
        );
      }
      return undefined;
    }),
    load(reconciliationCard, async () => {
      const [run] = await runs;
      const body = reconciliationCard.querySelector('.body');
      body.replaceChildren();
      if (!run) return { empty: 'No batch run yet.' };
      const r = run.reconciliation;
      if (!r) return { empty: `Run ${run.runId} did not reach its quality step, so it has no counts.` };
      const reasons = Object.entries(r.quarantineReasons).sort((a, b) => b[1] - a[1]);
      const rows = [
        ['read from flights-3m.parquet', r.read],
        ['posted over HTTP', r.postedOverHttp],
        ['accepted', r.accepted],
        ['quarantined', r.quarantined],
        ['landed in the lake', r.landed],
        ['set aside by the speed layer (quarantined)', r.speedQuarantined],
        ['dead-lettered (in messages that kept failing)', r.deadLettered],
        ['loaded into the warehouse', r.loaded],
        ['not loaded: id already in the warehouse', r.duplicates],
      ];
      body.append(
        el(
          'dl',
          { class: 'counts' },
          rows.flatMap(([name, n]) => [el('dt', { text: name }), el('dd', { text: count(n) })]),
        ),
        el('p', {
          class: r.reconciled ? 'passed' : 'failed',
          text: r.reconciled
            ? 'accepted = landed + set aside + dead-lettered, loaded = landed - duplicate ids: reconciled'
            : 'the counts do not add up: NOT reconciled',
        }),
        reasons.length
          ? el(
              'div',
              {},
              el('p', { class: 'note', text: 'Quarantined events by failing field:' }),
              el(
                'ul',
                { class: 'plain' },
                reasons.map(([field, n]) => el('li', { text: `${field}: ${count(n)}` })),
              ),
            )
          : el('p', { class: 'note', text: 'Nothing quarantined.' }),
      );
      return undefined;
    }),
    load(checksCard, async () => {
      const [run] = await runs;
      const body = checksCard.querySelector('.body');
      body.replaceChildren();
      if (!run) return { empty: 'No batch run yet.' };
      if (!run.checks) return { empty: `Run ${run.runId} did not reach its quality step.` };
      body.append(
        el(
          'ul',
          { class: 'plain' },
          run.checks.map((check) =>
            el(
              'li',
              {},
              el('span', {
                class: `badge ${check.passed ? 'passed' : 'failed'}`,
                text: check.passed ? 'passed' : 'failed',
              }),
              ` ${check.name}: ${check.detail}`,
            ),
          ),
        ),
      );
      return undefined;
    }),
  ]);
}

export async function showQueue() {
  const card = document.getElementById('queue');
  await load(card, async () => {
    const body = await getJson('/queue');
    const target = card.querySelector('.body');
    if (!body.depth) {
      target.replaceChildren(el('p', { text: `Queue ${body.queue}: depth ${body.note}.` }));
      return undefined;
    }
    const rows = [
      ['visible (waiting)', body.depth.visible],
      ['in flight (received, not acked)', body.depth.inFlight],
    ];
    if (body.depth.delayed !== undefined) rows.push(['delayed', body.depth.delayed]);
    target.replaceChildren(
      el('p', {
        class: 'note',
        text: `Queue ${body.queue} on ${body.provider}${body.provider === 'aws' ? ' (approximate)' : ''}:`,
      }),
      el(
        'dl',
        { class: 'counts' },
        rows.flatMap(([name, n]) => [el('dt', { text: name }), el('dd', { text: count(n) })]),
      ),
    );
    return undefined;
  });
}

export async function showCatalog() {
  const card = document.getElementById('catalog');
  await load(card, async () => {
    const body = await getJson('/catalog');
    const entries = Object.values(body.datasets).sort((a, b) => a.name.localeCompare(b.name));
    const target = card.querySelector('.body');
    if (entries.length === 0) {
      target.replaceChildren();
      return { empty: 'The catalog is empty: no batch run has registered datasets yet.' };
    }
    const partitions = (entry) =>
      entry.partitions?.length
        ? `${entry.partitions.length} (${entry.partitions[0]} … ${entry.partitions.at(-1)})`
        : '–';
    target.replaceChildren(
      table(
        [
          { label: 'dataset' },
          { label: 'kind' },
          { label: 'rows', num: true },
          { label: 'partitions' },
          { label: 'derived from (lineage)' },
          { label: 'produced by' },
        ],
        entries.map((e) => [
          e.name,
          e.kind,
          count(e.rows),
          partitions(e),
          (e.inputs ?? []).join(', ') || '–',
          e.producedBy,
        ]),
      ),
    );
    return undefined;
  });
}

export async function showMeter() {
  const card = document.getElementById('meter');
  await load(card, async () => {
    const body = await getJson('/meter');
    const target = card.querySelector('.body');
    const providers = [...new Set(Object.values(body.providers))].join(', ');
    const note = el('p', {
      class: 'note',
      text:
        `The calls this serve process made to its providers (${providers}) since ${body.since.replace('T', ' ').slice(0, 19)} UTC, ` +
        `this page's own requests included. It measures this process on this machine: on the local provider or an emulator it is not cloud latency.`,
    });
    if (body.operations.length === 0) {
      target.replaceChildren(note);
      return { empty: 'No provider calls recorded yet.' };
    }
    const ops = [...body.operations].sort(
      (a, b) => a.resource.localeCompare(b.resource) || a.operation.localeCompare(b.operation),
    );
    target.replaceChildren(
      note,
      table(
        [
          { label: 'resource' },
          { label: 'operation' },
          { label: 'provider' },
          { label: 'calls', num: true },
          { label: 'errors', num: true },
          { label: 'p50 ms', num: true },
          { label: 'p90 ms', num: true },
          { label: 'p99 ms', num: true },
          { label: 'max ms', num: true },
        ],
        ops.map((o) => [
          o.resource,
          o.operation,
          o.provider,
          count(o.count),
          count(o.errors),
          ms(o.p50Ms),
          ms(o.p90Ms),
          ms(o.p99Ms),
          ms(o.maxMs),
        ]),
      ),
    );
    return undefined;
  });
}

export async function showOverview() {
  const line = document.getElementById('overview');
  try {
    // /health answers 503 when the last run failed: still an answer to show.
    const health = await getJson('/health', { allow: [503] });
    const providers = Object.entries(health.providers)
      .map(([resource, provider]) => `${resource} on ${provider}`)
      .join(', ');
    const batch = health.batch;
    line.dataset.state = health.status === 'ok' ? 'ready' : 'error';
    line.textContent =
      `${health.status === 'ok' ? 'Healthy' : 'Degraded: the last batch run failed'}. ${providers}. ` +
      (batch.cutoffDay
        ? `Batch views up to ${batch.watermark.slice(0, 16).replace('T', ' ')} UTC; the speed view answers from ${batch.cutoffDay} on (${count(health.speed.events)} events in ${count(health.speed.partials)} partials).`
        : 'No batch run yet: every answer comes from the speed view.');
  } catch (error) {
    line.dataset.state = 'error';
    line.textContent = error.message;
  }
}
