// A polite, throttled live region: screen readers hear the latest text at most once every `everyMs`, so a run
// that reports every few hundred milliseconds does not talk over everything else. The region is visually hidden
// (the same figures are on screen); the newest text always arrives, late rather than never. A change of
// `immediateKey` (a run's state: started, paused, done) is said at once.
import { useEffect, useRef, useState } from 'react';

export const LIVE_EVERY_MS = 5000;

export interface LiveStatusProps {
  text: string;
  everyMs?: number;
  immediateKey?: string;
  testId?: string;
}

export function LiveStatus({ text, everyMs = LIVE_EVERY_MS, immediateKey, testId }: LiveStatusProps) {
  const [shown, setShown] = useState(text);
  const lastShown = useRef(0);
  const shownKey = useRef(immediateKey);
  const latest = useRef(text);
  latest.current = text;

  useEffect(() => {
    if (text === shown) return;
    const urgent = immediateKey !== shownKey.current;
    const wait = urgent ? 0 : lastShown.current + everyMs - performance.now();
    const show = () => {
      lastShown.current = performance.now();
      shownKey.current = immediateKey;
      setShown(latest.current);
    };
    if (wait <= 0) {
      show();
      return;
    }
    const timer = setTimeout(show, wait);
    return () => clearTimeout(timer);
  }, [text, shown, everyMs, immediateKey]);

  return (
    <div className="visually-hidden" role="status" aria-live="polite" aria-atomic="true" data-testid={testId}>
      {shown}
    </div>
  );
}
