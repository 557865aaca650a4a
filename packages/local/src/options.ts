import { z } from 'zod';

/** A DuckDB memory size: a number and a unit DuckDB accepts. */
export const MEMORY_SIZE = /^[0-9]+(\.[0-9]+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i;

/** Options of the embedded local provider (`providers.local` in the config). All have defaults. */
export const localOptionsSchema = z
  .object({
    /** Root directory for all local state; relative to the config file. Default `.cloudmux/local`. */
    root: z.string().min(1).default('.cloudmux/local'),
    objectStore: z
      .object({
        /** Sub-directory of root holding objects. */
        dir: z.string().min(1).default('objects'),
        /** fsync file and directory on every write (durable across power loss, slower). */
        fsync: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    queue: z
      .object({
        /** SQLite database file, relative to root. */
        file: z.string().min(1).default('queue.sqlite'),
        /** SQLite synchronous pragma: FULL survives power loss, NORMAL (WAL) survives process crashes. */
        synchronous: z.enum(['OFF', 'NORMAL', 'FULL']).default('NORMAL'),
      })
      .strict()
      .prefault({}),
    warehouse: z
      .object({
        /** DuckDB database file relative to root, or ':memory:'. */
        file: z.string().min(1).default('warehouse.duckdb'),
        threads: z.number().int().positive().optional(),
        /** DuckDB's memory_limit; 256MB when unset (DEFAULT_MEMORY_LIMIT in duckdb/driver.ts), not DuckDB's 80 % of RAM. */
        memoryLimit: z
          .string()
          .regex(MEMORY_SIZE, {
            message:
              "write a size such as '512MB' or '2GiB' (a number, then B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)",
          })
          .optional(),
      })
      .strict()
      .prefault({}),
    secretStore: z
      .object({
        /** Directory of encrypted secret files, relative to root. */
        dir: z.string().min(1).default('secrets'),
        /** Environment variable holding the 32-byte key (base64 or hex). */
        keyEnv: z.string().default('CLOUDMUX_SECRET_KEY'),
        /** Key file used when the variable is unset; created with a random key while no secrets exist. */
        keyFile: z.string().default('secret.key'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type LocalOptions = z.output<typeof localOptionsSchema>;
