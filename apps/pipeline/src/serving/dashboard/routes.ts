import { readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';

interface Asset {
  body: string;
  type: string;
}

const ASSETS_DIR = fileURLToPath(new URL('./assets/', import.meta.url));

/** Chart.js's UMD bundle from the installed package: served by this process, never from a CDN. */
function chartJs(): string {
  const entry = fileURLToPath(import.meta.resolve('chart.js'));
  return readFileSync(join(dirname(entry), 'chart.umd.min.js'), 'utf8');
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** The page at `/`, every other asset (and Chart.js) under `/dashboard/`. */
function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(ASSETS_DIR)) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    const body = readFileSync(join(ASSETS_DIR, name), 'utf8');
    assets.set(name === 'index.html' ? '/' : `/dashboard/${name}`, { body, type });
  }
  assets.set('/dashboard/chart.umd.min.js', { body: chartJs(), type: TYPES['.js']! });
  return assets;
}

let cached: Map<string, Asset> | undefined;

/**
 * Only this origin's scripts, styles and API: the page works offline and an injected inline script
 * would not run. Chart.js sizes its canvases through the CSSOM, which style-src does not restrict.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * The dashboard: a static page, one script and one stylesheet, plus Chart.js. Read-only like the
 * serving API it draws from, so it needs no key; the assets are read once per process.
 */
export function dashboardRoutes(): Hono {
  cached ??= loadAssets();
  const assets = cached;
  const app = new Hono();
  for (const [path, asset] of assets) {
    app.get(path, (c) =>
      c.body(asset.body, 200, {
        'content-type': asset.type,
        'content-security-policy': CONTENT_SECURITY_POLICY,
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-cache',
      }),
    );
  }
  return app;
}
