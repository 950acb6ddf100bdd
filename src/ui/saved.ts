// Settings kept across reloads (localStorage), for every tab: a form is saved as it changes and read back on the
// next visit; anything unreadable or of an old shape gives the defaults.
import { useEffect, useState } from 'react';

export function loadSaved<T>(key: string, fallback: () => T, accept: (v: unknown) => T | null): T {
  try {
    const raw = localStorage.getItem(key);
    return (raw && accept(JSON.parse(raw))) || fallback();
  } catch {
    return fallback();
  }
}

export function save(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    /* private mode or storage full: the settings are simply not kept */
  }
}

/** useState whose value is kept across reloads under `key`. */
export function useSavedState<T>(key: string, fallback: () => T, accept: (v: unknown) => T | null): [T, (v: T | ((prev: T) => T)) => void] {
  const [value, setValue] = useState<T>(() => loadSaved(key, fallback, accept));
  useEffect(() => save(key, value), [key, value]);
  return [value, setValue];
}

/** A record of strings with exactly the keys of `like` (a saved form's fields), else null. */
export function stringFields<R extends Record<string, string>>(v: unknown, like: R): R | null {
  if (typeof v !== 'object' || v === null) return null;
  const out = {} as Record<string, string>;
  for (const k of Object.keys(like)) {
    const x = (v as Record<string, unknown>)[k];
    if (typeof x !== 'string') return null;
    out[k] = x;
  }
  return out as R;
}

/** A saved number within [min, max], else null. */
export function numberIn(min: number, max: number): (v: unknown) => number | null {
  return (v) => (typeof v === 'number' && v >= min && v <= max ? v : null);
}

/** A saved string, else null. */
export function aString(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}
