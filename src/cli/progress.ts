import { Writable } from 'node:stream';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { BulkProgress } from '../queue/replay.js';
import type { ProgressView } from './commands.js';

/** Plain progress lines are printed every this many failed jobs looked at. */
const PLAIN_EVERY = 500;

/**
 * Where the CLI's log lines go: stderr, except while a progress bar is drawn on the terminal, when
 * they are printed above the bar (cli-progress' `MultiBar.log`) so the two do not garble each other.
 */
export function createLogRouter(fallback: NodeJS.WritableStream) {
  let divert: ((line: string) => void) | undefined;
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      if (divert === undefined)
        fallback.write(chunk, () => {
          done();
        });
      else {
        divert(chunk.toString());
        done();
      }
    },
  });
  return {
    stream,
    divert(to: ((line: string) => void) | undefined) {
      divert = to;
    },
  };
}

export type LogRouter = ReturnType<typeof createLogRouter>;

/**
 * The progress of a bulk replay: a bar on a terminal (stdout is a TTY), otherwise a plain line every
 * 500 jobs, so logs of scripted runs stay readable.
 */
export function createProgressView(
  stdout: NodeJS.WritableStream & { isTTY?: boolean },
  logs: LogRouter,
): ProgressView {
  if (stdout.isTTY !== true) {
    let printed = 0;
    return {
      update(p: BulkProgress) {
        if (p.scanned - printed < PLAIN_EVERY) return;
        printed = p.scanned;
        stdout.write(
          `scanned ${p.scanned}/${p.total} failed jobs: ${p.matched} matched, ${p.replayed} replayed\n`,
        );
      },
      stop() {
        // Plain mode prints its last line with the summary.
      },
    };
  }
  let bars: MultiBar | undefined;
  let bar: SingleBar | undefined;
  return {
    update(p: BulkProgress) {
      const payload = { matched: p.matched, replayed: p.replayed };
      if (bars === undefined) {
        const multi = new MultiBar(
          {
            stream: stdout,
            format: 'failed jobs {bar} {value}/{total} | {matched} matched | {replayed} replayed',
            hideCursor: true,
            clearOnComplete: false,
          },
          Presets.shades_classic,
        );
        bars = multi;
        bar = multi.create(Math.max(p.total, 1), p.scanned, payload);
        logs.divert((line) => {
          multi.log(line.endsWith('\n') ? line : `${line}\n`);
        });
        return;
      }
      if (p.scanned > p.total) bar?.setTotal(p.scanned);
      bar?.update(p.scanned, payload);
    },
    stop() {
      bars?.update(); // prints the log lines still buffered above the bar
      bars?.stop();
      logs.divert(undefined);
    },
  };
}
