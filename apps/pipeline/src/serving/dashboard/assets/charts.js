// The data cards: delays per day, by hour of day and the most delayed routes, drawn with Chart.js.
/* global Chart */
import { count, fixed, getJson, load, percent, table } from './dom.js';

const COLORS = { batch: '#2563eb', speed: '#ea580c', p95: '#475569', share: '#0f766e' };

const NO_AIRPORT = 'No airport to show: the serving API has listed none (see the line at the top).';

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
    // Written along the line, so it fits wherever the cutoff falls, even at a phone's width.
    ctx.translate(x, area.top);
    ctx.rotate(-Math.PI / 2);
    // Rotated a quarter turn: 'bottom' puts the text left of the line, 'top' right of it.
    ctx.textAlign = 'right';
    ctx.textBaseline = 'top';
    ctx.fillText('speed view', -4, 3);
    if (index > 0) {
      ctx.textBaseline = 'bottom';
      ctx.fillText('batch view', -4, -3);
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

export async function showDaily(q) {
  const card = document.getElementById('daily');
  await load(card, async (current) => {
    if (!q.airport) return { empty: NO_AIRPORT };
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

export async function showHours(q) {
  const card = document.getElementById('hours');
  await load(card, async (current) => {
    if (!q.airport) return { empty: NO_AIRPORT };
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

export async function showRoutes(q) {
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
