/**
 * Scratch tables (a load's external table, a replace's or a large insert's staging table): the Hive
 * connector has no multi-statement transactions, so all-or-nothing is built from a table that
 * holds the work until one final statement publishes it, and is dropped afterwards.
 */

/**
 * Runs `body`, then drops `tables` (`DROP TABLE IF EXISTS`, so a table `body` never got to create
 * costs nothing). When `body` failed, its error is the one reported and a failed drop is not; when
 * it worked, a failed drop fails the call rather than leaving a table behind unannounced.
 */
export async function withScratchTables<T>(
  drop: (table: string) => Promise<unknown>,
  tables: readonly string[],
  body: () => Promise<T>,
): Promise<T> {
  let result: T;
  try {
    result = await body();
  } catch (error) {
    await Promise.allSettled(tables.map(drop));
    throw error;
  }
  await Promise.all(tables.map(drop));
  return result;
}
