/** Where the CLI writes, and what it knows about the terminal. */
export interface CliIo {
  /**
   * Whether standard output is a terminal: colour is used only there.
   *
   * @default false
   */
  readonly stdoutIsTTY?: boolean;
  /**
   * Whether standard error is a terminal: progress is shown only there.
   *
   * @default false
   */
  readonly stderrIsTTY?: boolean;
  /**
   * Environment variables (NO_COLOR, TERM, the environment of `diff --app`).
   *
   * @default process.env
   */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Reads standard input (`check -`).
   *
   * @default - reads file descriptor 0
   */
  readonly readStdin?: () => string;
  /**
   * Width of the terminal on standard output (text tables fit it).
   *
   * @default 120
   */
  readonly columns?: number;
  /** Milliseconds since an arbitrary origin (tests control it to see the progress indicator). @default Date.now */
  readonly now?: () => number;
  stdout(text: string): unknown;
  stderr(text: string): unknown;
}

export const PROCESS_IO: CliIo = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  get stdoutIsTTY() {
    return process.stdout.isTTY === true;
  },
  get stderrIsTTY() {
    return process.stderr.isTTY === true;
  },
  get columns() {
    return process.stdout.columns || undefined;
  },
  get env() {
    return process.env;
  },
};

/** Options every command shares. */
export interface OutputOptions {
  /** Only the one-line summary (and the exit code). */
  readonly quiet?: boolean;
}

export type Style = 'red' | 'green' | 'yellow' | 'cyan' | 'dim' | 'bold';

const CODES: Record<Style, [number, number]> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
  dim: [2, 22],
  bold: [1, 22],
};

/** Whether colour is wanted on standard output: a terminal, no `NO_COLOR` (any non-empty value), not `TERM=dumb`. */
export function colorEnabled(io: CliIo): boolean {
  const env = io.env ?? process.env;
  if (io.stdoutIsTTY !== true) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return env.TERM !== 'dumb';
}

/** Delay before a progress indicator appears: short runs never show one. */
export const PROGRESS_DELAY_MS = 400;
const PROGRESS_INTERVAL_MS = 80;
const SPINNER = ['|', '/', '-', '\\'];

/**
 * A progress indicator on standard error: only on a terminal, never with `--quiet`, and only once
 * the run has lasted PROGRESS_DELAY_MS (work is synchronous, so it is redrawn from `tick`, throttled).
 * `done()` erases it, leaving standard error as it was.
 */
export class Progress {
  private readonly enabled: boolean;
  private readonly started: number;
  private lastDraw = -Infinity;
  private drawn = false;
  private frame = 0;

  public constructor(private readonly io: CliIo, options: OutputOptions & { readonly enabled?: boolean } = {}) {
    this.enabled = (options.enabled ?? true) && io.stderrIsTTY === true && !options.quiet;
    this.started = this.now();
  }

  /** Reports what is being done (`done` of `total` steps). */
  public tick(label: string, done: number, total: number): void {
    if (!this.enabled) return;
    const now = this.now();
    if (now - this.started < PROGRESS_DELAY_MS || now - this.lastDraw < PROGRESS_INTERVAL_MS) return;
    this.lastDraw = now;
    const spinner = SPINNER[this.frame++ % SPINNER.length];
    const text = `${spinner} ${label} (${done}/${total})`.slice(0, 100);
    this.io.stderr(`\r\x1b[2K${text}`);
    this.drawn = true;
  }

  /** Erases the indicator. */
  public done(): void {
    if (this.drawn) this.io.stderr('\r\x1b[2K');
    this.drawn = false;
  }

  private now(): number {
    return (this.io.now ?? Date.now)();
  }
}

/** Colours text for standard output (no-op without colour). */
export class Painter {
  public readonly enabled: boolean;

  public constructor(io: CliIo) {
    this.enabled = colorEnabled(io);
  }

  public paint(style: Style, text: string): string {
    if (!this.enabled || text === '') return text;
    const [on, off] = CODES[style];
    return `\x1b[${on}m${text}\x1b[${off}m`;
  }
}

/** `n thing(s)`. */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : pluralForm}`;
}

export { oneLine } from '../private/one-line';
