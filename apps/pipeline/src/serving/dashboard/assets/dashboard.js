// The pipeline dashboard: every number on the page comes from this server's JSON endpoints.
/* global Chart */

const COLORS = { batch: '#2563eb', speed: '#ea580c', p95: '#475569', share: '#0f766e' };
const form = document.getElementById('controls');

/** Builds an element; children are nodes or text (never parsed as HTML). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') node.textContent = String(value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const fixed = (value, digits = 1) => (value === null || value === undefined ? '–' : value.toFixed(digits));
const percent = (share) => (share === null || share === undefined ? '–' : `${(share * 100).toFixed(1)}%`);
const count = (n) => Number(n).toLocaleString('en-US');
const ms = (value) => (value < 10 ? value.toFixed(2) : value.toFixed(1));

/** A failed call, told as what happened: which endpoint, the HTTP status and the API's own error. */
async function getJson(path, { allow = [] } = {}) {
  let response;
  try {
    response = await fetch(path, { headers: { accept: 'application/json' } });
  } catch (error) {
    throw new Error(`The serving API did not answer ${path} (${error.message}); is pipeline serve running?`);
  }
  const text = await response.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  if (!response.ok && !allow.includes(response.status)) {
    const error = body?.error;
    let detail = text.trim().slice(0, 200) || response.statusText;
    if (typeof error === 'string') detail = error;
    else if (error?.code)
      detail = `${error.code}${error.provider ? ` from the ${error.provider} ${error.resource ?? 'provider'}` : ''}: ${error.message}`;
    throw new Error(`${path} answered ${response.status}: ${detail}`);
  }
  return body;
}

/** A card's state, for people (the status line, announced to screen readers) and for tests (data-state). */
function setState(card, state, message = '') {
  card.dataset.state = state;
  card.querySelector(':scope > .status').textContent = message;
}

/**
 * Runs a card's work; when the card is asked again before an answer arrives, the older answer is
 * dropped (`current()` turns false), so a slow reply never overwrites a newer one.
 */
async function load(card, work) {
  const token = {};
  card.loadToken = token;
  const current = () => card.loadToken === token;
  setState(card, 'loading', 'Loading…');
  try {
    const outcome = await work(current);
    if (!current()) return;
    if (outcome?.empty) setState(card, 'empty', outcome.empty);
    else setState(card, 'ready');
  } catch (error) {
    if (current()) setState(card, 'error', error.message);
  }
}

function table(headers, rows, { caption, className = 'data' } = {}) {
  return el(
    'table',
    { class: className },
    caption ? el('caption', { text: caption }) : null,
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        headers.map((h) => el('th', { scope: 'col', class: h.num ? 'num' : null, text: h.label })),
      ),
    ),
    el(
      'tbody',
      {},
      rows.map((row) =>
        el(
          'tr',
          {},
          row.map((cell, i) => el('td', { class: headers[i].num ? 'num' : null }, cell)),
        ),
      ),
    ),
  );
}

/** The chart's text equivalent: a table of every value it draws, hidden visually, read by screen readers. */
function setHiddenTable(card, headers, rows, caption) {
  // Hidden by its wrapper: a table ignores the width that would clip it, and would widen the page.
  card.querySelector('figure > .visually-hidden > table').replaceWith(table(headers, rows, { caption }));
}

function drawChart(card, config) {
  const canvas = card.querySelector('canvas');
  Chart.getChart(canvas)?.destroy();
  return new Chart(canvas, config);
}

/** A dashed line between the last batch-view day and the first speed-view day. */
const cutoffMarker = {
  id: 'cutoffMarker',
  afterDatasetsDraw(chart, _args, options) {
    const index = options.index;
    if (index === undefined || index === null || index < 0) return;
    const { ctx, chartArea: area, scales } = chart;
    const x =
      index === 0 ? area.left : (scales.x.getPixelForValue(index - 1) + scales.x.getPixelForValue(index)) / 2;
    ctx.save();
    ctx.strokeStyle = '#111827';
    ctx.setLineDash([6, 4]);
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(x, area.top);
    ctx.lineTo(x, area.bottom);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = '#111827';
    ctx.font = '12px system-ui, sans-serif';
    ctx.textAlign = 'left';
    ctx.fillText('speed view \u2192', x + 4, area.top + 12);
    // On a narrow chart only the speed label fits.
    if (index > 0 && x - area.left > 90) {
      ctx.textAlign = 'right';
      ctx.fillText('\u2190 batch view', x - 4, area.top + 12);
    }
    ctx.restore();
  },
};

const baseOptions = () => ({
  responsive: true,
  maintainAspectRatio: false,
  animation: false,
  interaction: { mode: 'index', intersect: false },
  plugins: { legend: { position: 'bottom' } },
});

function query() {
  const data = new FormData(form);
  return {
    airport: String(data.get('airport') ?? ''),
    from: String(data.get('from') ?? ''),
    to: String(data.get('to') ?? ''),
    minFlights: String(data.get('minFlights') ?? ''),
    limit: String(data.get('limit') ?? ''),
  };
}

async function showDaily(q) {
  const card = document.getElementById('daily');
  await load(card, async (current) => {
    const path = `/airports/${encodeURIComponent(q.airport)}/delays?from=${encodeURIComponent(q.from)}&to=${encodeURIComponent(q.to)}`;
    const body = await getJson(path);
    if (!current()) return undefined;
    card.querySelector('h3').textContent = `Delays per day from ${body.airport}`;
    if (body.days.length === 0)
      return {
        empty: `No flights from ${body.airport} between ${body.from} and ${body.to} in the batch or speed view.`,
      };
    const labels = body.days.map((d) => d.day);
    const bySource = (source) => body.days.map((d) => (d.source === source ? d.meanDelay : null));
    const speedStart = body.days.findIndex((d) => d.source === 'speed');
    drawChart(card, {
      type: 'bar',
      data: {
        labels,
        datasets: [
          {
            label: 'mean delay, batch view (min)',
            data: bySource('batch'),
            backgroundColor: COLORS.batch,
            skipNull: true,
          },
          {
            label: 'mean delay, speed view (min)',
            data: bySource('speed'),
            backgroundColor: COLORS.speed,
            skipNull: true,
          },
          {
            type: 'line',
            label: 'p95 delay (min)',
            data: body.days.map((d) => d.p95Delay),
            borderColor: COLORS.p95,
            backgroundColor: COLORS.p95,
            pointRadius: 2,
          },
        ],
      },
      options: {
        ...baseOptions(),
        datasets: { bar: { grouped: false } },
        scales: { y: { title: { display: true, text: 'minutes' } } },
        plugins: { ...baseOptions().plugins, cutoffMarker: { index: speedStart } },
      },
      plugins: [cutoffMarker],
    });
    const means = body.days.map((d) => d.meanDelay);
    const worst = body.days[means.indexOf(Math.max(...means))];
    const split =
      speedStart === -1
        ? `all ${labels.length} days from the batch view`
        : speedStart === 0
          ? `all ${labels.length} days from the speed view`
          : `${speedStart} days from the batch view, then from ${labels[speedStart]} (the cutoff day ${body.cutoffDay}) the speed view`;
    card.querySelector('figcaption').textContent =
      `${body.airport}, ${labels[0]} to ${labels.at(-1)}: ${count(body.days.reduce((n, d) => n + d.flights, 0))} flights; ` +
      `mean delay from ${fixed(Math.min(...means))} to ${fixed(Math.max(...means))} min, worst on ${worst.day}; ${split}.`;
    setHiddenTable(
      card,
      [
        { label: 'day' },
        { label: 'source' },
        { label: 'flights', num: true },
        { label: 'mean delay (min)', num: true },
        { label: 'p95 delay (min)', num: true },
        { label: 'delayed > 15 min', num: true },
      ],
      body.days.map((d) => [
        d.day,
        `${d.source} view`,
        count(d.flights),
        fixed(d.meanDelay),
        fixed(d.p95Delay),
        percent(d.delayedShare),
      ]),
      `Delays per day from ${body.airport}`,
    );
    return undefined;
  });
}

async function showHours(q) {
  const card = document.getElementById('hours');
  await load(card, async (current) => {
    const path = `/hours/delays?airport=${encodeURIComponent(q.airport)}&from=${encodeURIComponent(q.from)}&to=${encodeURIComponent(q.to)}`;
    const body = await getJson(path);
    if (!current()) return undefined;
    card.querySelector('h3').textContent = `Delay by hour of day from ${body.airport ?? 'every airport'}`;
    const flown = body.hours.filter((h) => h.flights > 0);
    if (flown.length === 0)
      return {
        empty: `No flights from ${body.airport} between ${body.from} and ${body.to} in the batch or speed view.`,
      };
    drawChart(card, {
      type: 'bar',
      data: {
        labels: body.hours.map((h) => String(h.hour).padStart(2, '0')),
        datasets: [
          {
            label: 'mean delay (min)',
            data: body.hours.map((h) => h.meanDelay),
            backgroundColor: COLORS.batch,
            yAxisID: 'y',
          },
          {
            type: 'line',
            label: 'delayed > 15 min (%)',
            data: body.hours.map((h) => (h.delayedShare === null ? null : h.delayedShare * 100)),
            borderColor: COLORS.share,
            backgroundColor: COLORS.share,
            pointRadius: 2,
            yAxisID: 'share',
          },
        ],
      },
      options: {
        ...baseOptions(),
        scales: {
          x: { title: { display: true, text: 'scheduled hour (UTC)' } },
          y: { title: { display: true, text: 'minutes' } },
          share: {
            position: 'right',
            min: 0,
            title: { display: true, text: '% delayed' },
            grid: { drawOnChartArea: false },
          },
        },
      },
    });
    const worst = flown.reduce((a, b) => (b.meanDelay > a.meanDelay ? b : a));
    const best = flown.reduce((a, b) => (b.meanDelay < a.meanDelay ? b : a));
    const speedFlights = body.hours.reduce((n, h) => n + h.speedFlights, 0);
    card.querySelector('figcaption').textContent =
      `${body.airport}, ${body.from} to ${body.to}: flights in ${flown.length} of 24 hours; ` +
      `least delayed at ${best.hour}:00 (${fixed(best.meanDelay)} min), most at ${worst.hour}:00 (${fixed(worst.meanDelay)} min); ` +
      `${count(speedFlights)} of the flights from the speed view.`;
    setHiddenTable(
      card,
      [
        { label: 'hour' },
        { label: 'flights', num: true },
        { label: 'from the speed view', num: true },
        { label: 'mean delay (min)', num: true },
        { label: 'delayed > 15 min', num: true },
      ],
      flown.map((h) => [
        `${h.hour}:00`,
        count(h.flights),
        count(h.speedFlights),
        fixed(h.meanDelay),
        percent(h.delayedShare),
      ]),
      `Delay by hour of day from ${body.airport}`,
    );
    return undefined;
  });
}

async function showRoutes(q) {
  const card = document.getElementById('routes');
  await load(card, async (current) => {
    const path = `/routes/top-delayed?limit=${encodeURIComponent(q.limit)}&minFlights=${encodeURIComponent(q.minFlights)}`;
    const body = await getJson(path);
    if (!current()) return undefined;
    card.querySelector('h3').textContent = `Most delayed routes (at least ${count(body.minFlights)} flights)`;
    if (body.routes.length === 0)
      return { empty: `No route has ${count(body.minFlights)} or more flights yet; lower the minimum.` };
    const labels = body.routes.map((r) => `${r.origin} \u2192 ${r.destination}`);
    drawChart(card, {
      type: 'bar',
      data: {
        labels,
        datasets: [
          {
            label: 'mean delay (min)',
            data: body.routes.map((r) => r.meanDelay),
            backgroundColor: COLORS.speed,
          },
        ],
      },
      options: {
        ...baseOptions(),
        indexAxis: 'y',
        interaction: { mode: 'nearest', axis: 'y', intersect: false },
        scales: { x: { title: { display: true, text: 'mean delay (minutes), over all days' } } },
        plugins: { legend: { display: false } },
      },
    });
    const first = body.routes[0];
    card.querySelector('figcaption').textContent =
      `${body.routes.length} routes with at least ${count(body.minFlights)} flights, over every day served; ` +
      `worst ${first.origin} to ${first.destination}, ${fixed(first.meanDelay)} min mean delay over ${count(first.flights)} flights.`;
    setHiddenTable(
      card,
      [
        { label: 'route' },
        { label: 'flights', num: true },
        { label: 'mean delay (min)', num: true },
        { label: 'delayed > 15 min', num: true },
      ],
      body.routes.map((r, i) => [labels[i], count(r.flights), fixed(r.meanDelay), percent(r.delayedShare)]),
      'Most delayed routes',
    );
    return undefined;
  });
}

function stepList(steps) {
  return el(
    'ol',
    { class: 'steps' },
    steps.map((s) =>
      el(
        'li',
        { class: s.status, title: s.error ? `${s.error.code}: ${s.error.message}` : null },
        `${s.name}: ${s.status}${s.seconds === null ? '' : ` ${s.seconds.toFixed(2)} s`}${s.attempts > 1 ? ` (${s.attempts} attempts)` : ''}`,
      ),
    ),
  );
}

function seconds(run) {
  if (!run.finishedAt) return 'running';
  return `${((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000).toFixed(2)} s`;
}

async function showPipeline() {
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
        ['loaded into the warehouse', r.loaded],
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
            ? 'accepted = landed = loaded: reconciled'
            : 'accepted, landed and loaded differ: NOT reconciled',
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

async function showQueue() {
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

async function showCatalog() {
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

async function showMeter() {
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

async function showOverview() {
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

function showData() {
  const q = query();
  const url = new URL(window.location.href);
  for (const [name, value] of Object.entries(q)) url.searchParams.set(name, value);
  window.history.replaceState(null, '', url);
  return Promise.all([showDaily(q), showHours(q), showRoutes(q)]);
}

function isDay(value) {
  const parsed = new Date(`${value}T00:00:00Z`);
  return (
    /^\d{4}-\d{2}-\d{2}$/.test(value) &&
    !Number.isNaN(parsed.getTime()) &&
    parsed.toISOString().startsWith(value)
  );
}

/** Fills the controls from the URL, else the busiest airport over every day served. */
async function initControls() {
  const params = new URL(window.location.href).searchParams;
  const select = form.elements.airport;
  let airports = { airports: [], firstDay: null, lastDay: null };
  try {
    airports = await getJson('/airports?limit=200');
  } catch (error) {
    document.getElementById('overview').dataset.state = 'error';
    document.getElementById('overview').textContent = error.message;
  }
  const codes = airports.airports.map((a) => a.code);
  const wanted = (params.get('airport') ?? '').toUpperCase();
  if (wanted && !codes.includes(wanted)) codes.unshift(wanted);
  select.replaceChildren(
    ...codes.map((code) => {
      const known = airports.airports.find((a) => a.code === code);
      return el('option', { value: code, text: known ? `${code} (${count(known.flights)} flights)` : code });
    }),
  );
  select.value = wanted || codes[0] || '';
  for (const name of ['from', 'to']) {
    const input = form.elements[name];
    if (airports.firstDay) input.min = airports.firstDay;
    if (airports.lastDay) input.max = airports.lastDay;
  }
  // A day from the URL that a date input cannot hold stays as text, so the API can say what is wrong with it.
  const defaults = { from: airports.firstDay, to: airports.lastDay };
  for (const name of ['from', 'to']) {
    const value = params.get(name) ?? defaults[name] ?? '';
    if (value && !isDay(value)) form.elements[name].type = 'text';
    form.elements[name].value = value;
  }
  if (params.get('minFlights')) form.elements.minFlights.value = params.get('minFlights');
  if (params.get('limit')) form.elements.limit.value = params.get('limit');
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void showData();
});
form.elements.airport.addEventListener('change', () => void showData());

await initControls();
await Promise.all([showOverview(), showData(), showPipeline(), showQueue(), showCatalog(), showMeter()]);
document.body.dataset.loaded = 'true';
