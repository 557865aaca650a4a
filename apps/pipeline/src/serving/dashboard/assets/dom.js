// What every card shares: building elements, calling the API, and a card's loading, empty and error states.

/** Builds an element; children are nodes or text (never parsed as HTML). */
export function el(tag, attrs = {}, ...children) {
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

export const fixed = (value, digits = 1) =>
  value === null || value === undefined ? '–' : value.toFixed(digits);
export const percent = (share) =>
  share === null || share === undefined ? '–' : `${(share * 100).toFixed(1)}%`;
export const count = (n) => Number(n).toLocaleString('en-US');
export const ms = (value) => (value < 10 ? value.toFixed(2) : value.toFixed(1));

/** A failed call, told as what happened: which endpoint, the HTTP status and the API's own error. */
export async function getJson(path, { allow = [] } = {}) {
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
  // An allowed status is an answer (/health's 503 when degraded), unless it carries an error.
  if (!response.ok && !(allow.includes(response.status) && body && !body.error)) {
    const error = body?.error;
    let detail = text.trim().slice(0, 200) || response.statusText;
    // The API's one error shape: { error: message, code, field?, provider?, resource? }.
    if (typeof error === 'string')
      detail = body.code
        ? `${body.code}${body.provider ? ` from the ${body.provider} ${body.resource ?? 'provider'}` : ''}: ${error}`
        : error;
    throw new Error(`${path} answered ${response.status}: ${detail}`);
  }
  return body;
}

/** A card's state, for people (the status line, announced to screen readers) and for tests (data-state). */
export function setState(card, state, message = '') {
  card.dataset.state = state;
  card.querySelector(':scope > .status').textContent = message;
}

/**
 * Runs a card's work; when the card is asked again before an answer arrives, the older answer is
 * dropped (`current()` turns false), so a slow reply never overwrites a newer one.
 */
export async function load(card, work) {
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

export function table(headers, rows, { caption, className = 'data' } = {}) {
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

export function isDay(value) {
  const parsed = new Date(`${value}T00:00:00Z`);
  return (
    /^\d{4}-\d{2}-\d{2}$/.test(value) &&
    !Number.isNaN(parsed.getTime()) &&
    parsed.toISOString().startsWith(value)
  );
}
