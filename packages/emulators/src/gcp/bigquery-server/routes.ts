/**
 * The REST API v2 routes the Node client calls: datasets, tables, tabledata and jobs.
 */

import type { Engine } from './engine.ts';
import type { Jobs } from './jobs.ts';
import { BqError, type BqField, canonicalType, duckType } from './values.ts';

/** Maps one request (method, path, query, JSON body) to its handler; returns the JSON answer. */
export function createRouter(engine: Engine, jobApi: Jobs) {
  const { datasets, jobs, withConnection, ident, dataset, table, tableResource } = engine;
  const { insertJob, queryResults, insertAll } = jobApi;
  async function route(method: string, path: string, query: URLSearchParams, body: Record<string, unknown>) {
    const parts = path
      .replace(/^\/bigquery\/v2\//, '')
      .split('/')
      .map(decodeURIComponent);
    if (parts[0] !== 'projects' || !parts[1]) throw new BqError(404, 'notFound', `no route for ${path}`);
    const project = parts[1];
    const [, , collection, id, sub, subId, action] = parts;
    if (collection === 'datasets') {
      if (!id) {
        if (method === 'POST') {
          const datasetId = String(
            (body.datasetReference as { datasetId?: string } | undefined)?.datasetId ?? '',
          );
          if (!/^\w{1,1024}$/.test(datasetId)) throw new BqError(400, 'invalid', 'invalid dataset id');
          if (datasets.has(datasetId))
            throw new BqError(409, 'duplicate', `Already Exists: Dataset ${project}:${datasetId}`);
          await withConnection((c) => c.run(`CREATE SCHEMA ${ident(datasetId)}`));
          const location = String(body.location ?? 'US');
          datasets.set(datasetId, { location, created: Date.now(), tables: new Map() });
          return {
            kind: 'bigquery#dataset',
            id: `${project}:${datasetId}`,
            datasetReference: { projectId: project, datasetId },
            location,
          };
        }
        if (method === 'GET')
          return {
            datasets: [...datasets.keys()].map((d) => ({
              datasetReference: { projectId: project, datasetId: d },
            })),
          };
      } else if (!sub) {
        const ds = dataset(id);
        if (method === 'GET')
          return {
            kind: 'bigquery#dataset',
            id: `${project}:${id}`,
            datasetReference: { projectId: project, datasetId: id },
            location: ds.location,
          };
        if (method === 'DELETE') {
          if (ds.tables.size > 0 && query.get('deleteContents') !== 'true') {
            throw new BqError(400, 'resourceInUse', `Dataset ${project}:${id} is still in use`);
          }
          await withConnection((c) => c.run(`DROP SCHEMA ${ident(id)} CASCADE`));
          datasets.delete(id);
          return undefined;
        }
      } else if (sub === 'tables') {
        const ds = dataset(id);
        if (!subId && method === 'POST') {
          const tableId = String((body.tableReference as { tableId?: string } | undefined)?.tableId ?? '');
          if (!/^[\w-]{1,1024}$/.test(tableId)) throw new BqError(400, 'invalid', 'invalid table id');
          if (ds.tables.has(tableId))
            throw new BqError(409, 'duplicate', `Already Exists: Table ${project}:${id}.${tableId}`);
          const fields = ((body.schema as { fields?: BqField[] } | undefined)?.fields ?? []).map((f) => ({
            ...f,
            type: canonicalType(f.type),
            mode: f.mode ?? 'NULLABLE',
          }));
          if (fields.length === 0) throw new BqError(400, 'invalid', 'a table needs a schema');
          const columns = fields.map(
            (f) => `${ident(f.name)} ${duckType(f)}${f.mode === 'REQUIRED' ? ' NOT NULL' : ''}`,
          );
          await withConnection((c) =>
            c.run(`CREATE TABLE ${ident(id)}.${ident(tableId)} (${columns.join(', ')})`),
          );
          const meta = { fields, created: Date.now() };
          ds.tables.set(tableId, meta);
          return tableResource(project, id, tableId, meta, 0);
        }
        if (subId && !action) {
          const meta = table(id, subId);
          if (method === 'GET') {
            const count = await withConnection((c) =>
              c.runAndReadAll(`SELECT COUNT(*) FROM ${ident(id)}.${ident(subId)}`),
            );
            return tableResource(project, id, subId, meta, Number(count.getRows()[0]?.[0] ?? 0));
          }
          if (method === 'DELETE') {
            await withConnection((c) => c.run(`DROP TABLE ${ident(id)}.${ident(subId)}`));
            ds.tables.delete(subId);
            return undefined;
          }
        }
        if (subId && action === 'insertAll' && method === 'POST') return insertAll(id, subId, body);
        if (subId && action === 'data' && method === 'GET') {
          const meta = table(id, subId);
          const job = await insertJob(project, {
            configuration: { query: { query: `SELECT * FROM \`${id}.${subId}\`` } },
          });
          const page = queryResults(job, query) as { rows: unknown; totalRows: string; pageToken?: string };
          return {
            kind: 'bigquery#tableDataList',
            rows: page.rows,
            totalRows: page.totalRows,
            ...(page.pageToken ? { pageToken: page.pageToken } : {}),
            schema: { fields: meta.fields },
          };
        }
      }
    } else if (collection === 'jobs') {
      if (!id && method === 'POST') return (await insertJob(project, body)).resource;
      if (id && method === 'GET') {
        const job = jobs.get(id);
        if (!job) throw new BqError(404, 'notFound', `Not found: Job ${project}:${id}`);
        return job.resource;
      }
    } else if (collection === 'queries') {
      if (!id && method === 'POST') {
        const job = await insertJob(project, {
          jobReference: { location: body.location },
          configuration: {
            query: {
              query: body.query,
              useLegacySql: body.useLegacySql,
              defaultDataset: body.defaultDataset,
              queryParameters: body.queryParameters,
              parameterMode: body.parameterMode,
            },
          },
        });
        const params = new URLSearchParams();
        if (body.maxResults !== undefined) params.set('maxResults', String(body.maxResults));
        return queryResults(job, params);
      }
      if (id && method === 'GET') {
        const job = jobs.get(id);
        if (!job) throw new BqError(404, 'notFound', `Not found: Job ${project}:${id}`);
        return queryResults(job, query);
      }
    }
    throw new BqError(404, 'notFound', `no route for ${method} ${path}`);
  }

  return route;
}
