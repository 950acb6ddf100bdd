/**
 * Every problem with user-supplied or shipped data is reported as a DataError whose message names the
 * file (or input) and says exactly what is wrong, so the UI can show it as is.
 */
export class DataError extends Error {
  /** The file or input the problem is in (e.g. "train-images-idx3-ubyte"). */
  readonly file: string;

  constructor(file: string, detail: string, options?: { cause?: unknown }) {
    super(`${file}: ${detail}`, options);
    this.name = 'DataError';
    this.file = file;
  }
}

export function isDataError(e: unknown): e is DataError {
  return e instanceof DataError;
}
