/**
 * Typed errors. Every error says where: a file, row, column, option or shape.
 * Messages read like `labels.csv row 41, column DX: unknown label "MCI" (expected CN, AD)`.
 */

/** Base class of all transmri errors. */
export class TransmriError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Where in an input a data problem was found. */
export interface DataLocation {
  /** File the problem is in. */
  file?: string;
  /** 1-based data row (CSV rows count from the first data line; the header is row 0). */
  row?: number;
  /** Column name. */
  column?: string;
}

/** A problem with input data: a file, a CSV row, an image, a volume. */
export class DataError extends TransmriError {
  readonly file?: string;
  readonly row?: number;
  readonly column?: string;
  /** The message without the location prefix. */
  readonly detail: string;

  constructor(detail: string, where: DataLocation = {}) {
    super(formatLocation(where) + detail);
    this.file = where.file;
    this.row = where.row;
    this.column = where.column;
    this.detail = detail;
  }
}

function formatLocation(where: DataLocation): string {
  let text = where.file ?? '';
  if (where.row !== undefined) text += `${text ? ' ' : ''}row ${where.row}`;
  if (where.column !== undefined) text += `${text ? (where.row !== undefined ? ', ' : ' ') : ''}column ${where.column}`;
  return text ? `${text}: ` : '';
}

/** A tensor or volume whose shape is not the expected one. */
export class ShapeError extends TransmriError {
  readonly expected: ReadonlyArray<number | null>;
  readonly actual: ReadonlyArray<number>;

  constructor(what: string, expected: ReadonlyArray<number | null>, actual: ReadonlyArray<number>) {
    super(`${what}: expected shape [${expected.map((d) => (d === null ? '?' : d)).join(', ')}], got [${actual.join(', ')}]`);
    this.expected = expected;
    this.actual = actual;
  }
}

/** An option object with an unknown key, a wrong type or a value out of range. */
export class OptionError extends TransmriError {
  readonly option: string;

  constructor(option: string, detail: string) {
    super(`option ${option}: ${detail}`);
    this.option = option;
  }
}

/** A saved artefact (checkpoint, cache, manifest) that cannot be used as it is. */
export class FormatError extends TransmriError {
  readonly file?: string;

  constructor(detail: string, file?: string) {
    super(file === undefined ? detail : `${file}: ${detail}`);
    this.file = file;
  }
}

/** Thrown by a callback to stop `fit` cleanly after the current step. */
export class CancelFitError extends TransmriError {
  constructor(reason = 'fit cancelled') {
    super(reason);
  }
}

/** Thrown by a callback to skip the rest of the current batch. */
export class CancelBatchError extends TransmriError {
  constructor(reason = 'batch cancelled') {
    super(reason);
  }
}

/** Training produced a non-finite loss. */
export class NonFiniteLossError extends TransmriError {
  readonly epoch: number;
  readonly batch: number;

  constructor(epoch: number, batch: number, detail = '') {
    super(`loss is not finite at epoch ${epoch}, batch ${batch}${detail ? `: ${detail}` : ''}`);
    this.epoch = epoch;
    this.batch = batch;
  }
}

/** A non-finite loss on an evaluation split during fit (NaN or ±Infinity in its data, or a diverged model). */
export class NonFiniteValidationError extends TransmriError {
  readonly split: string;
  readonly epoch: number;
  /** Id of the first sample whose input or output is not finite. */
  readonly sample: string;

  constructor(split: string, epoch: number, sample: string, detail: string) {
    super(`validation loss is not finite at epoch ${epoch} (split ${split}): first sample ${sample}, ${detail}`);
    this.split = split;
    this.epoch = epoch;
    this.sample = sample;
  }
}

/**
 * Throws an OptionError for any key of `given` that is not a key of `known`.
 * @param where name of the options object, e.g. `DataBunchOptions`
 */
export function rejectUnknownOptions(where: string, given: object | undefined, known: object): void {
  if (given === undefined || given === null) return;
  const allowed = new Set(Object.keys(known));
  for (const key of Object.keys(given)) {
    if (!allowed.has(key)) {
      throw new OptionError(`${where}.${key}`, `unknown option (known: ${[...allowed].sort().join(', ')})`);
    }
  }
}
