// The pipeline dashboard: every number on the page comes from this server's JSON endpoints.
import { showDaily, showHours, showRoutes } from './charts.js';
import { count, el, getJson, isDay } from './dom.js';
import { showCatalog, showMeter, showOverview, showPipeline, showQueue } from './pipeline.js';

const form = document.getElementById('controls');

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

function showData() {
  const q = query();
  const url = new URL(window.location.href);
  for (const [name, value] of Object.entries(q)) url.searchParams.set(name, value);
  window.history.replaceState(null, '', url);
  return Promise.all([showDaily(q), showHours(q), showRoutes(q)]);
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
