import cliProgress from 'cli-progress';
import { log, setLogSink } from './log.ts';
import type { ProgressUpdate } from './run.ts';

/** The stages that count events as they go; every other stage has nothing to show until it ends. */
const COUNTED_STAGES = new Set(['ingest', 'speed']);

interface StageBar {
  bar: cliProgress.SingleBar;
  startedAt: number;
  startValue: number;
}

/**
 * What `pipeline run` shows while it works. On a terminal, the counted stages get a bar with their
 * rate and ETA; a stage without progress prints one line when it ends, with its time. Log lines
 * written while the bars are up go through the bars' own `log`, above them, never across them.
 */
export class RunProgress {
  readonly #bars = new Map<string, StageBar>();
  #multi: cliProgress.MultiBar | undefined;
  /** Stages after the counted ones run one after another: each starts when the one before ends. */
  #lastDoneAt = performance.now();

  constructor(options: { bars: boolean }) {
    if (!options.bars) return;
    this.#multi = new cliProgress.MultiBar(
      {
        // Fits 80 columns with a million events: wider lines are cut at the terminal's edge.
        format: ' {stage} |{bar}| {value}/{total} | {rate} events/s | ETA {remaining}',
        barsize: 20,
        hideCursor: true,
        // Log lines printed above the bars wrap; the bars themselves are cut at the terminal's width.
        linewrap: true,
        // Lines printed above the bars take their rows: every frame redraws both bars, changed or not.
        forceRedraw: true,
        clearOnComplete: false,
        stream: process.stderr,
      },
      cliProgress.Presets.shades_classic,
    );
    const multi = this.#multi;
    // A line printed over the bars' rows wraps; erasing to the end of its last row clears what the
    // bar left there.
    setLogSink((line) => multi.log(line.replace(/\n?$/, '\x1b[0K\n')));
  }

  update(update: ProgressUpdate): void {
    const now = performance.now();
    if (this.#multi && COUNTED_STAGES.has(update.stage)) {
      this.#draw(this.#multi, update, now);
      if (update.done) this.#lastDoneAt = now;
      return;
    }
    if (!update.done) return;
    // The counted stages are over once another stage ends: take the bars down so plain lines follow.
    this.stop();
    const fields: Record<string, unknown> = { stage: update.stage };
    if (COUNTED_STAGES.has(update.stage)) fields.events = update.value;
    else fields.seconds = Number(((now - this.#lastDoneAt) / 1000).toFixed(2));
    this.#lastDoneAt = now;
    log('info', 'stage-done', fields);
  }

  stop(): void {
    if (!this.#multi) return;
    // stop() drops lines logged since the last redraw; a redraw first prints them.
    this.#multi.update();
    this.#multi.stop();
    this.#multi = undefined;
    setLogSink(undefined);
  }

  #draw(multi: cliProgress.MultiBar, update: ProgressUpdate, now: number): void {
    let stage = this.#bars.get(update.stage);
    if (!stage) {
      stage = {
        bar: multi.create(update.total, update.value, {
          stage: update.stage.padEnd(6),
          rate: '-',
          remaining: '-',
        }),
        startedAt: now,
        startValue: update.value,
      };
      this.#bars.set(update.stage, stage);
    }
    // Measured from the stage's first report, so the time before its first batch does not dilute it.
    const seconds = (now - stage.startedAt) / 1000;
    // Under a second the rate is mostly noise (two consumers reporting a moment apart), except the
    // last report: a stage that finished in under a second still has a rate over its whole time.
    const measured = seconds >= 1 || (update.done === true && seconds > 0);
    const rate = measured ? (update.value - stage.startValue) / seconds : 0;
    const left = update.total - update.value;
    const payload =
      rate > 0
        ? { rate: Math.round(rate).toLocaleString('en-US'), remaining: formatSeconds(left / rate) }
        : { rate: '-', remaining: left === 0 ? '0s' : '-' };
    stage.bar.setTotal(update.total);
    stage.bar.update(update.value, payload);
  }
}

function formatSeconds(seconds: number): string {
  const whole = Math.ceil(seconds);
  return whole < 60 ? `${whole}s` : `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
}
