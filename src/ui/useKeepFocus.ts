// A button that disables itself while its work runs drops keyboard focus to the page. This hook gives it back:
// mark the press (click, Enter or Space), and when the work is over and focus is still nowhere, the button
// takes it again, so a keyboard user carries on from where they were.
import { useEffect, useRef, type RefObject } from 'react';

export function useKeepFocus(busy: boolean): { ref: RefObject<HTMLButtonElement | null>; pressed: () => void } {
  const ref = useRef<HTMLButtonElement | null>(null);
  const wasPressed = useRef(false);
  useEffect(() => {
    if (busy || !wasPressed.current) return;
    wasPressed.current = false;
    const focused = document.activeElement;
    if ((!focused || focused === document.body) && ref.current && !ref.current.disabled) ref.current.focus();
  }, [busy]);
  return {
    ref,
    pressed: () => {
      wasPressed.current = true;
    },
  };
}
