// Files a person picks, read as the worker takes them: each is checked against its kind's size limit before it is
// read into the page, so a wrong or hostile file is refused at once instead of filling the tab's memory; and files
// the page gives (a model, a run's curves), saved through a temporary link.
import { DataError } from '../data/errors.ts';
import { checkFileSize, type FileKind } from '../data/limits.ts';
import type { NamedFile } from '../engine/protocol.ts';

export async function readPickedFiles(picked: readonly File[], kindOf: (name: string) => FileKind): Promise<NamedFile[]> {
  for (const f of picked) checkFileSize(f.name, f.size, kindOf(f.name));
  return Promise.all(picked.map(async (f) => ({ name: f.name, bytes: await f.arrayBuffer() })));
}

/** What the page says when reading failed: a refusal's own message (it names the file), else what went wrong. */
export function readFailure(err: unknown): string {
  return err instanceof DataError ? err.message : `Could not read the chosen files: ${err instanceof Error ? err.message : String(err)}`;
}

/** Saves data as a file through a temporary link (no server involved). */
export function saveFile(name: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
