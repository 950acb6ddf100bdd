// A canvas to draw a digit on with mouse, pen or touch (Pointer Events with pointer capture), or from the keyboard
// (arrow keys move a pen, Space lowers and lifts it). After each stroke, and throttled while drawing, the ink is
// turned into a 28x28 MNIST-style image (src/data/draw.ts).
import { forwardRef, useCallback, useEffect, useImperativeHandle, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import { preprocessDrawing, rgbaToInk } from '../../data/draw.ts';

export const CANVAS_SIDE = 280;
/** Stroke width in canvas pixels: a digit drawn ~200 px tall is scaled by 20/200, giving MNIST's ~2 px strokes. */
const STROKE = 22;
const INK = '#111418';
/** While a stroke is being drawn, the drawing is classified at most this often. */
const LIVE_MS = 150;
/** One arrow key press moves the keyboard pen this far (canvas pixels); with Shift, a quarter of it. */
const KEY_STEP = 14;
const KEY_HELP = 'Arrow keys move the pen, Space lowers or lifts it, Delete clears.';

export interface DrawCanvasHandle {
  clear: () => void;
}

export interface DrawCanvasProps {
  /** Called with the 28x28 image (null when the canvas is empty); `final` after a stroke ends. */
  onImage: (image: Float32Array | null, final: boolean) => void;
  /** Called when the canvas is cleared. */
  onClear: () => void;
}

export const DrawCanvas = forwardRef<DrawCanvasHandle, DrawCanvasProps>(function DrawCanvas({ onImage, onClear }, ref) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const stroke = useRef<{ id: number; x: number; y: number } | null>(null);
  const lastEmit = useRef(0);
  /** The keyboard pen: where it is, and whether it is down (drawing). */
  const [pen, setPen] = useState({ x: CANVAS_SIDE / 2, y: CANVAS_SIDE / 2, down: false });
  /** The pen's ring shows once a key is used, until the mouse, a pen or a finger draws again. */
  const [usingKeys, setUsingKeys] = useState(false);

  const ctx = () => canvas.current?.getContext('2d', { willReadFrequently: true }) ?? null;

  const emit = useCallback(
    (final: boolean) => {
      const c = ctx();
      if (!c) return;
      lastEmit.current = performance.now();
      const { data } = c.getImageData(0, 0, CANVAS_SIDE, CANVAS_SIDE);
      const r = preprocessDrawing(rgbaToInk(data, CANVAS_SIDE, CANVAS_SIDE, 'alpha'), CANVAS_SIDE, CANVAS_SIDE);
      onImage(r.empty ? null : r.image, final);
    },
    [onImage],
  );

  const clear = useCallback(() => {
    ctx()?.clearRect(0, 0, CANVAS_SIDE, CANVAS_SIDE);
    stroke.current = null;
    setPen((p) => ({ ...p, down: false }));
    onClear();
  }, [onClear]);
  useImperativeHandle(ref, () => ({ clear }), [clear]);

  useEffect(() => {
    const c = ctx();
    if (!c) return;
    c.lineCap = 'round';
    c.lineJoin = 'round';
    c.lineWidth = STROKE;
    c.strokeStyle = INK;
    c.fillStyle = INK;
  }, []);

  const toCanvas = (e: { clientX: number; clientY: number }) => {
    const rect = canvas.current!.getBoundingClientRect();
    return { x: ((e.clientX - rect.left) * CANVAS_SIDE) / rect.width, y: ((e.clientY - rect.top) * CANVAS_SIDE) / rect.height };
  };

  const onPointerDown = (e: PointerEvent<HTMLCanvasElement>) => {
    if (e.button !== 0 && e.pointerType === 'mouse') return;
    setUsingKeys(false);
    const c = ctx();
    if (!c) return;
    e.preventDefault();
    e.currentTarget.setPointerCapture(e.pointerId);
    const p = toCanvas(e);
    stroke.current = { id: e.pointerId, ...p };
    c.beginPath();
    c.arc(p.x, p.y, STROKE / 2, 0, 2 * Math.PI);
    c.fill();
  };

  const onPointerMove = (e: PointerEvent<HTMLCanvasElement>) => {
    const s = stroke.current;
    const c = ctx();
    if (!s || s.id !== e.pointerId || !c) return;
    const events = e.nativeEvent.getCoalescedEvents?.() ?? [];
    c.beginPath();
    c.moveTo(s.x, s.y);
    let p = { x: s.x, y: s.y };
    for (const ev of events.length ? events : [e.nativeEvent]) {
      p = toCanvas(ev);
      c.lineTo(p.x, p.y);
    }
    c.stroke();
    stroke.current = { id: s.id, ...p };
    if (performance.now() - lastEmit.current > LIVE_MS) emit(false);
  };

  const endStroke = (e: PointerEvent<HTMLCanvasElement>) => {
    if (!stroke.current || stroke.current.id !== e.pointerId) return;
    stroke.current = null;
    emit(true);
  };

  const dot = (x: number, y: number) => {
    const c = ctx();
    if (!c) return;
    c.beginPath();
    c.arc(x, y, STROKE / 2, 0, 2 * Math.PI);
    c.fill();
  };

  const ARROWS: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  const onKeyDown = (e: KeyboardEvent<HTMLCanvasElement>) => {
    if (e.key !== 'Tab') setUsingKeys(true);
    if (e.key === 'Delete' || e.key === 'Backspace' || e.key === 'Escape') {
      e.preventDefault();
      clear();
      return;
    }
    if (e.key === ' ' || e.key === 'Enter') {
      e.preventDefault();
      if (pen.down) emit(true);
      else dot(pen.x, pen.y);
      setPen({ ...pen, down: !pen.down });
      return;
    }
    const dir = ARROWS[e.key];
    if (!dir) return;
    e.preventDefault();
    const step = e.shiftKey ? KEY_STEP / 4 : KEY_STEP;
    const clamp = (v: number) => Math.min(CANVAS_SIDE - STROKE / 2, Math.max(STROKE / 2, v));
    const next = { x: clamp(pen.x + dir[0] * step), y: clamp(pen.y + dir[1] * step), down: pen.down };
    const c = ctx();
    if (pen.down && c) {
      c.beginPath();
      c.moveTo(pen.x, pen.y);
      c.lineTo(next.x, next.y);
      c.stroke();
      if (performance.now() - lastEmit.current > LIVE_MS) emit(false);
    }
    setPen(next);
  };

  const endKeyboardStroke = () => {
    if (pen.down) emit(true);
    setPen((p) => ({ ...p, down: false }));
  };

  return (
    <div className={`draw-wrap${usingKeys ? ' keys' : ''}`}>
      <canvas
        ref={canvas}
        className="draw-canvas"
        width={CANVAS_SIDE}
        height={CANVAS_SIDE}
        tabIndex={0}
        role="application"
        aria-roledescription="drawing area"
        aria-label={`Draw a digit with the mouse, a pen or a finger. ${KEY_HELP}`}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={endStroke}
        onPointerCancel={endStroke}
        onKeyDown={onKeyDown}
        onBlur={endKeyboardStroke}
        data-testid="draw-canvas"
      />
      <span
        className={`draw-cursor${pen.down ? ' down' : ''}`}
        style={{ left: `${(100 * pen.x) / CANVAS_SIDE}%`, top: `${(100 * pen.y) / CANVAS_SIDE}%` }}
        aria-hidden="true"
        data-testid="draw-cursor"
      />
    </div>
  );
});
