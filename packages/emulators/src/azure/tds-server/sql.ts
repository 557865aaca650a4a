/**
 * T-SQL as DuckDB runs it (identifiers, literals, TOP, types, functions; see server.ts for the
 * list and the known divergences), and `COPY INTO … FROM 'https://…'` loaded with DuckDB's readers.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { serviceSideUrl } from '../../faults/service-side.ts';
import { SqlError } from './codec.ts';

// ---------------------------------------------------------------------------------------------
// T-SQL → DuckDB

type Segment = { kind: 'code' | 'string' | 'ident' | 'comment'; text: string };

function segments(sql: string): Segment[] {
  const out: Segment[] = [];
  let code = '';
  const flush = () => {
    if (code) out.push({ kind: 'code', text: code });
    code = '';
  };
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i] as string;
    const next = sql[i + 1];
    if ((ch === 'N' || ch === 'n') && next === "'" && !/\w/.test(sql[i - 1] ?? '')) {
      i++;
      continue;
    }
    if (ch === "'") {
      let j = i + 1;
      while (j < sql.length && !(sql[j] === "'" && sql[j + 1] !== "'")) j += sql[j] === "'" ? 2 : 1;
      flush();
      out.push({ kind: 'string', text: sql.slice(i, j + 1) });
      i = j + 1;
    } else if (ch === '[') {
      let j = i + 1;
      let name = '';
      while (j < sql.length) {
        if (sql[j] === ']') {
          if (sql[j + 1] === ']') {
            name += ']';
            j += 2;
            continue;
          }
          break;
        }
        name += sql[j];
        j++;
      }
      flush();
      out.push({ kind: 'ident', text: `"${name.replaceAll('"', '""')}"` });
      i = j + 1;
    } else if (ch === '"') {
      const j = sql.indexOf('"', i + 1);
      flush();
      out.push({ kind: 'ident', text: sql.slice(i, j + 1) });
      i = j + 1;
    } else if (ch === '-' && next === '-') {
      const j = sql.indexOf('\n', i);
      flush();
      out.push({ kind: 'comment', text: j === -1 ? sql.slice(i) : sql.slice(i, j) });
      i = j === -1 ? sql.length : j;
    } else if (ch === '/' && next === '*') {
      const j = sql.indexOf('*/', i + 2);
      flush();
      out.push({ kind: 'comment', text: sql.slice(i, j === -1 ? sql.length : j + 2) });
      i = j === -1 ? sql.length : j + 2;
    } else {
      code += ch;
      i++;
    }
  }
  flush();
  return out;
}

const CODE_REWRITES: Array<[RegExp, string | ((...m: string[]) => string)]> = [
  [
    /@@\w+/g,
    (m) => {
      throw new SqlError(50000, `system variable ${m} is not supported by the TDS test server`);
    },
  ],
  [/@(\w+)/g, (_m, name) => `$${name}`],
  [/\bN?VARCHAR\s*\(\s*(MAX|\d+)\s*\)/gi, 'VARCHAR'],
  [/\bNVARCHAR\b/gi, 'VARCHAR'],
  [/\bN?CHAR\s*\(\s*\d+\s*\)/gi, 'VARCHAR'],
  [/\bDATETIME2\s*(\(\s*\d\s*\))?/gi, 'TIMESTAMP'],
  [/\bDATETIME\b/gi, 'TIMESTAMP'],
  [/\bBIT\b/gi, 'BOOLEAN'],
  [/\bFLOAT\b(\s*\(\s*53\s*\))?/gi, 'DOUBLE'],
  [/\bDATETRUNC\s*\(\s*(\w+)\s*,/gi, (_m, unit) => `date_trunc('${unit.toLowerCase()}',`],
  [/\bDATEPART\s*\(\s*(\w+)\s*,/gi, (_m, unit) => `date_part('${unit.toLowerCase()}',`],
  [/\bISNULL\s*\(/gi, 'coalesce('],
  [/\bLEN\s*\(/gi, 'length('],
  [/\bCOUNT_BIG\s*\(/gi, 'count('],
  [/\b(GETUTCDATE|SYSUTCDATETIME|GETDATE|SYSDATETIME)\s*\(\s*\)/gi, 'now()'],
  [/\bJSON_VALUE\s*\(/gi, 'json_extract_string('],
  [
    /\bPERCENTILE_CONT\s*\(\s*([\d.]+)\s*\)\s*WITHIN\s+GROUP\s*\(\s*ORDER\s+BY\s+([^()]+?)\s*\)/gi,
    (_m, p, expr) => `quantile_cont(${expr}, ${p})`,
  ],
  [/\bWITH\s*\(\s*DISTRIBUTION\s*=\s*ROUND_ROBIN\s*(,\s*(HEAP|CLUSTERED\s+COLUMNSTORE\s+INDEX))?\s*\)/gi, ''],
];

export function translate(tsql: string): string {
  const dropIf = tsql.match(
    /^\s*IF\s+OBJECT_ID\s*\(\s*N?'[^']*'\s*(?:,\s*N?'U')?\s*\)\s+IS\s+NOT\s+NULL\s+DROP\s+TABLE\s+([\s\S]+?);?\s*$/i,
  );
  const source = dropIf ? `DROP TABLE IF EXISTS ${dropIf[1]}` : tsql;
  const out = segments(source).map((segment) => {
    if (segment.kind !== 'code') return segment.kind === 'comment' ? ' ' : segment.text;
    let text = segment.text;
    if (/\bOFFSET\s+\d+\s+ROWS?\b/i.test(text)) {
      throw new SqlError(
        102,
        "Incorrect syntax near 'OFFSET': dedicated SQL pools have no OFFSET … FETCH (use TOP).",
      );
    }
    for (const [pattern, replacement] of CODE_REWRITES) text = text.replace(pattern, replacement as never);
    return text;
  });
  return rewriteTop(rewritePercentileWindows(out.join('')));
}

/**
 * `SELECT [DISTINCT] TOP (n) …` → `SELECT [DISTINCT] … LIMIT n`, the LIMIT placed where that SELECT's
 * scope ends: the parenthesis closing its subquery, or the end of the statement (so INSERT … SELECT
 * TOP works too). Quoted text is skipped; TOP over a UNION limits the whole union here.
 */
function rewriteTop(sql: string): string {
  const depthAt: number[] = [];
  const code: boolean[] = [];
  let depth = 0;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i] as string;
    if (ch === "'" || ch === '"') {
      const close = sql.indexOf(ch, i + 1);
      const end = close === -1 ? sql.length - 1 : close;
      for (let j = i; j <= end; j++) {
        depthAt[j] = depth;
        code[j] = false;
      }
      i = end;
      continue;
    }
    if (ch === ')') depth--;
    depthAt[i] = depth;
    code[i] = true;
    if (ch === '(') depth++;
  }
  const pattern = /\bSELECT(\s+(?:ALL|DISTINCT))?\s+TOP\s*\(?\s*(\d+)\s*\)?/gi;
  const edits: Array<{ start: number; end: number; limitAt: number; n: string; head: string }> = [];
  for (const match of sql.matchAll(pattern)) {
    const start = match.index as number;
    if (!code[start]) continue;
    const level = depthAt[start] as number;
    let limitAt = sql.length;
    for (let j = start; j < sql.length; j++) {
      if (
        code[j] &&
        ((sql[j] === ')' && (depthAt[j] as number) < level) || (sql[j] === ';' && depthAt[j] === level))
      ) {
        limitAt = j;
        break;
      }
    }
    edits.push({
      start,
      end: start + match[0].length,
      limitAt,
      n: match[2] as string,
      head: `SELECT${match[1] ?? ''} `,
    });
  }
  let out = sql;
  // Right to left, so earlier offsets stay valid; a LIMIT always lands after its own TOP.
  const points = edits
    .flatMap((e) => [
      { at: e.limitAt, remove: 0, text: ` LIMIT ${e.n}` },
      { at: e.start, remove: e.end - e.start, text: e.head },
    ])
    .sort((a, b) => b.at - a.at || a.remove - b.remove);
  for (const point of points) out = out.slice(0, point.at) + point.text + out.slice(point.at + point.remove);
  return out;
}

/**
 * T-SQL's window form `PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY expr) OVER (…)` → DuckDB's
 * `quantile_cont(expr, p) OVER (…)`. The ORDER BY expression is read up to its balanced closing
 * parenthesis, so it may hold calls and quoted identifiers.
 */
function rewritePercentileWindows(sql: string): string {
  const head = /PERCENTILE_(CONT|DISC)\s*\(\s*([0-9.]+)\s*\)\s*WITHIN\s+GROUP\s*\(\s*ORDER\s+BY\s+/i;
  let out = '';
  let rest = sql;
  for (let match = head.exec(rest); match; match = head.exec(rest)) {
    let depth = 0;
    let end = match.index + match[0].length;
    for (; end < rest.length; end++) {
      const ch = rest[end];
      if (ch === '(') depth++;
      else if (ch === ')') {
        if (depth === 0) break;
        depth--;
      }
    }
    const expr = rest.slice(match.index + match[0].length, end).replace(/\s+(ASC|DESC)\s*$/i, '');
    const fn = (match[1] as string).toUpperCase() === 'CONT' ? 'quantile_cont' : 'quantile_disc';
    out += `${rest.slice(0, match.index)}${fn}(${expr}, ${match[2]})`;
    rest = rest.slice(end + 1);
  }
  return out + rest;
}

// ---------------------------------------------------------------------------------------------
// COPY INTO

interface CopyInto {
  target: string;
  urls: string[];
  fileType: 'CSV' | 'PARQUET';
  firstRow: number;
  fieldTerminator?: string;
  fieldQuote?: string;
  sas?: string;
}

export function parseCopyInto(sql: string): CopyInto | undefined {
  const match = sql.match(
    /^\s*COPY\s+INTO\s+((?:\[[^\]]*\]|\w+)(?:\.(?:\[[^\]]*\]|\w+))*)\s+FROM\s+((?:'[^']*'\s*,?\s*)+)\s*WITH\s*\(([\s\S]*)\)\s*;?\s*$/i,
  );
  if (!match) return undefined;
  const [, target, from, withClause] = match as unknown as [string, string, string, string];
  const urls = [...from.matchAll(/'([^']*)'/g)].map((m) => m[1] as string);
  const option = (name: string) =>
    withClause.match(new RegExp(`\\b${name}\\s*=\\s*'((?:[^']|'')*)'`, 'i'))?.[1];
  const fileType = (option('FILE_TYPE') ?? 'CSV').toUpperCase();
  if (fileType !== 'CSV' && fileType !== 'PARQUET')
    throw new SqlError(46010, `FILE_TYPE '${fileType}' is not supported.`);
  const firstRow = Number(withClause.match(/\bFIRSTROW\s*=\s*(\d+)/i)?.[1] ?? 1);
  const identity = withClause.match(/IDENTITY\s*=\s*'([^']*)'/i)?.[1];
  const secret = withClause.match(/SECRET\s*=\s*'([^']*)'/i)?.[1];
  return {
    target: translate(target),
    urls,
    fileType,
    firstRow,
    ...(option('FIELDTERMINATOR')
      ? { fieldTerminator: decodeTerminator(option('FIELDTERMINATOR') as string) }
      : {}),
    ...(option('FIELDQUOTE') ? { fieldQuote: decodeTerminator(option('FIELDQUOTE') as string) } : {}),
    ...(identity?.toLowerCase() === 'shared access signature' && secret
      ? { sas: secret.replace(/^\?/, '') }
      : {}),
  };
}

function decodeTerminator(text: string): string {
  return /^0x[0-9a-f]{2}$/i.test(text) ? String.fromCharCode(Number.parseInt(text.slice(2), 16)) : text;
}

/** FIELDQUOTE equal to FIELDTERMINATOR (the one-column JSON-lines trick) means no quoting at all. */
function quoteOption(copy: CopyInto): string {
  if (!copy.fieldQuote) return '';
  if (copy.fieldQuote === copy.fieldTerminator) return ", quote = '', escape = ''";
  return `, quote = '${copy.fieldQuote.replaceAll("'", "''")}'`;
}

export async function copyInto(connection: DuckDBConnection, copy: CopyInto): Promise<bigint> {
  const dir = await mkdtemp(join(tmpdir(), 'cloudmux-tds-copy-'));
  try {
    const files: string[] = [];
    for (const [index, url] of copy.urls.entries()) {
      // Read as the service would, inside the cloud: not through a client's fault proxy.
      const source = serviceSideUrl(url);
      const response = await fetch(
        copy.sas ? `${source}${source.includes('?') ? '&' : '?'}${copy.sas}` : source,
      );
      if (response.status === 404)
        throw new SqlError(4860, `Cannot bulk load. The file "${url}" does not exist.`);
      if (!response.ok)
        throw new SqlError(13822, `File '${url}' cannot be opened (HTTP ${response.status}).`);
      const file = join(dir, `part-${index}`);
      await writeFile(file, Buffer.from(await response.arrayBuffer()));
      files.push(file);
    }
    const list = `[${files.map((f) => `'${f.replaceAll("'", "''")}'`).join(', ')}]`;
    const reader =
      copy.fileType === 'PARQUET'
        ? `SELECT * FROM read_parquet(${list})`
        : `SELECT * FROM read_csv(${list}, header = ${copy.firstRow > 1}, all_varchar = true${
            copy.fieldTerminator ? `, delim = '${copy.fieldTerminator.replaceAll("'", "''")}'` : ''
          }${quoteOption(copy)})`;
    const insert =
      copy.fileType === 'PARQUET'
        ? `INSERT INTO ${copy.target} BY NAME ${reader}`
        : `INSERT INTO ${copy.target} ${reader}`;
    const result = await connection.runAndReadAll(insert);
    return BigInt((result.getRows()[0]?.[0] as bigint | number | undefined) ?? 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
