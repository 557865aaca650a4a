/**
 * node:sqlite (behind the local queue) prints an ExperimentalWarning on first use; in a CLI whose
 * stderr carries structured logs and progress bars it is noise. Every other warning still prints.
 */
export function silenceSqliteExperimentalWarning(): void {
  const defaults = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'ExperimentalWarning' && /SQLite/i.test(warning.message)) return;
    for (const listener of defaults) listener(warning);
  });
}
