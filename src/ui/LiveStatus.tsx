// A polite, throttled live region: screen readers hear the latest text at most once every `everyMs`, so a run
// that reports every few hundred milliseconds does not talk over everything else. The region is visually hidden
// (the same figures are on screen); the newest text always arrives, late rather than never.
import { useEffect, useRef, useState } from 'react';

export const LIVE_EVERY_MS = 5000;

export function LiveStatus({ text, everyMs = LIVE_EVERY_MS, testId }: { text: string; everyMs?: number; testId?: string }) {
  const [shown, setShown] = useState(text);
  const lastShown = useRef(0);
  const latest = useRef(text);
  latest.current = text;

  useEffect(() => {
    if (text === shown) return;
    const wait = lastShown.current + everyMs - performance.now();
    const show = () => {
      lastShown.current = performance.now();
      setShown(latest.current);
    };
    if (wait <= 0) {
      show();
      return;
    }
    const timer = setTimeout(show, wait);
    return () => clearTimeout(timer);
  }, [text, shown, everyMs]);

  return (
    <div className="visually-hidden" role="status" aria-live="polite" aria-atomic="true" data-testid={testId}>
      {shown}
    </div>
  );
}
