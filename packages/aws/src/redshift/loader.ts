/**
 * The part of the Redshift driver that moves lake files in: COPY from S3 (a manifest for exact keys,
 * the prefix itself otherwise), inside one transaction with the DELETE when replacing.
 */
import { randomUUID } from 'node:crypto';
import type { DescribeStatementCommandOutput } from '@aws-sdk/client-redshift-data';
import { DriverError, type DriverLoadOptions, type LoadResult, type StatementStats } from '@cloudmux/core';

export interface Executed {
  id: string;
  description: DescribeStatementCommandOutput;
  durationMs: number;
}

/** What COPY needs from the driver that runs statements. */
export interface RedshiftLoadContext {
  iamRoleArn: string | undefined;
  tableRef(table: string): string;
  execute(sql: string, parameters: []): Promise<Executed>;
  executeBatch(sqls: string[]): Promise<Executed>;
  stats(executed: Executed): StatementStats;
}

export async function copyFromS3(
  context: RedshiftLoadContext,
  table: string,
  load: DriverLoadOptions,
): Promise<LoadResult> {
  const { iamRoleArn, tableRef, execute, executeBatch, stats } = context;
  if (!iamRoleArn) {
    throw new DriverError('InvalidArgument', {
      detail: 'loadFromObjects needs providers.aws.redshift.iamRoleArn (the role COPY assumes to read S3)',
    });
  }
  if (!load.source.uriOf('x').startsWith('s3://')) {
    throw new DriverError('InvalidArgument', {
      detail: 'Redshift COPY reads from S3: the source must be an S3 store',
    });
  }
  const format = {
    parquet: 'FORMAT AS PARQUET',
    csv: "FORMAT AS CSV IGNOREHEADER 1 TIMEFORMAT 'auto'",
    ndjson: "FORMAT AS JSON 'auto' TIMEFORMAT 'auto'",
  }[load.format];
  const files = load.keys.length;
  let from: string;
  let manifestKey: string | undefined;
  if (load.prefix === undefined) {
    // Exact keys need a manifest: a plain S3 path in COPY is a prefix and could match more.
    manifestKey = `.cloudmux/manifests/${randomUUID()}.manifest`;
    const manifest = {
      entries: load.keys.map((key) => ({ url: load.source.uriOf(key), mandatory: true })),
    };
    await load.source.put(manifestKey, JSON.stringify(manifest), { contentType: 'application/json' });
    from = `'${load.source.uriOf(manifestKey).replaceAll("'", "''")}' MANIFEST`;
  } else {
    // The portable layer listed the prefix (and refused an empty one); COPY reads it natively.
    from = `'${load.source.uriOf(load.prefix).replaceAll("'", "''")}'`;
  }
  const copy = `COPY ${tableRef(table)} FROM ${from} IAM_ROLE '${iamRoleArn.replaceAll("'", "''")}' ${format}`;
  try {
    // Replace deletes and loads in one transaction (TRUNCATE would commit on its own in Redshift).
    const executed =
      load.mode === 'replace'
        ? await executeBatch([`DELETE FROM ${tableRef(table)}`, copy])
        : await execute(copy, []);
    const copied =
      load.mode === 'replace'
        ? (executed.description.SubStatements?.at(-1)?.ResultRows ?? 0)
        : (executed.description.ResultRows ?? 0);
    return {
      rowsLoaded: Math.max(0, copied),
      files,
      stats: { ...stats(executed), rows: Math.max(0, copied) },
    };
  } finally {
    if (manifestKey) await load.source.delete(manifestKey);
  }
}
