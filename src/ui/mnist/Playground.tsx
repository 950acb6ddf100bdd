// Draw a digit (or pick a test image), see the network's guess and probabilities, and what happens inside it.
import { useCallback, useRef, useState } from 'react';
import { LiveStatus } from '../LiveStatus.tsx';
import { useTaskMessages, type Engine } from '../useEngine.ts';
import { DrawCanvas, type DrawCanvasHandle } from './DrawCanvas.tsx';
import { PixelImage } from './Heatmap.tsx';
import { InsideNetwork, type InspectionMsg } from './InsideNetwork.tsx';

type Source = { kind: 'drawing' } | { kind: 'test'; index: number; label: number };

export function Playground({ engine, dataLoaded }: { engine: Engine; dataLoaded: boolean }) {
  const [image, setImage] = useState<Float32Array | null>(null);
  const [source, setSource] = useState<Source | null>(null);
  const [inspection, setInspection] = useState<InspectionMsg | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [testIndex, setTestIndex] = useState('0');
  const drawRef = useRef<DrawCanvasHandle>(null);

  // One inspection in flight at a time; while it runs only the newest image waits (latest wins).
  const nextId = useRef(1);
  const inFlight = useRef<number | null>(null);
  const pending = useRef<Float32Array | null>(null);
  const testRequest = useRef<number | null>(null);
  const current = useRef<Float32Array | null>(null);

  const pump = useCallback(() => {
    if (inFlight.current !== null || !pending.current) return;
    const copy = pending.current.slice();
    pending.current = null;
    const requestId = nextId.current++;
    inFlight.current = requestId;
    engine.send({ type: 'mnist-inspect', requestId, image: copy }, [copy.buffer]);
  }, [engine]);

  const inspect = useCallback(
    (img: Float32Array) => {
      pending.current = img;
      pump();
    },
    [pump],
  );

  const show = useCallback(
    (img: Float32Array | null, src: Source | null) => {
      current.current = img;
      setImage(img);
      setSource(src);
      if (img) inspect(img);
      else {
        pending.current = null;
        setInspection(null);
      }
    },
    [inspect],
  );

  useTaskMessages(engine, 'mnist', (msg) => {
    switch (msg.type) {
      case 'mnist-inspection':
        if (msg.requestId !== inFlight.current) return;
        inFlight.current = null;
        setError(null);
        if (current.current) setInspection(msg);
        pump();
        return;
      case 'mnist-test-image':
        if (msg.requestId !== testRequest.current) return;
        testRequest.current = null;
        drawRef.current?.clear();
        show(msg.image, { kind: 'test', index: msg.index, label: msg.label });
        setTestIndex(String(msg.index));
        return;
      case 'error':
        if (msg.scope !== 'mnist-inspect') return;
        inFlight.current = null;
        testRequest.current = null;
        setError(msg.message);
        pump();
        return;
      case 'phase-result':
        // An epoch ended (the weights changed): look at the current image again.
        if (msg.task === 'mnist' && msg.phase === 'epoch' && current.current) inspect(current.current);
        return;
      case 'train-state':
        if (msg.task === 'mnist' && current.current && ['paused', 'stopped', 'done', 'diverged'].includes(msg.state)) inspect(current.current);
        return;
      default:
        return;
    }
  });

  const onImage = useCallback((img: Float32Array | null) => show(img, img ? { kind: 'drawing' } : null), [show]);
  const onClear = useCallback(() => show(null, null), [show]);

  const testIdx = Number(testIndex);
  const testIdxValid = testIndex.trim() !== '' && Number.isInteger(testIdx) && testIdx >= 0 && testIdx <= 9999;
  const requestTest = (index: number) => {
    const requestId = nextId.current++;
    testRequest.current = requestId;
    engine.send({ type: 'mnist-test-image', requestId, index });
  };

  const probs = inspection ? Array.from(inspection.probs) : null;
  const predicted = probs ? probs.indexOf(Math.max(...probs)) : null;
  const heard =
    probs && predicted !== null
      ? `Prediction ${predicted}, ${(probs[predicted]! * 100).toFixed(0)}% sure` +
        (source?.kind === 'test' ? ` (test image #${source.index}, true label ${source.label})` : ' (your drawing)') +
        (inspection && !inspection.trained ? '; the model is untrained.' : '.')
      : '';

  return (
    <>
      <div className="panel playground" data-testid="playground">
        <h2>Draw a digit</h2>
        <div className="playground-grid">
          <div className="draw-col">
            <DrawCanvas ref={drawRef} onImage={onImage} onClear={onClear} />
            <div className="row">
              <button type="button" onClick={() => drawRef.current?.clear()} data-testid="draw-clear">
                Clear
              </button>
              <span className="muted small">Draw with the mouse, a pen or a finger, or from the keyboard: arrow keys move the pen, Space lowers or lifts it; Delete clears.</span>
            </div>
            <form
              className="row test-image"
              onSubmit={(e) => {
                e.preventDefault();
                if (testIdxValid) requestTest(testIdx);
              }}
            >
              <label htmlFor="mnist-test-index">Show test image #</label>
              <input
                id="mnist-test-index"
                type="text"
                inputMode="numeric"
                size={5}
                value={testIndex}
                onChange={(e) => setTestIndex(e.target.value)}
                aria-invalid={!testIdxValid || undefined}
                data-testid="test-image-index"
              />
              <button type="submit" disabled={!dataLoaded || !testIdxValid} data-testid="test-image-show">
                Show
              </button>
              <button type="button" disabled={!dataLoaded} onClick={() => requestTest(Math.floor(Math.random() * 10000))} data-testid="test-image-random">
                Random
              </button>
            </form>
            {!dataLoaded && <span className="muted small">Load MNIST to browse the test images.</span>}
          </div>

          <div className="seen-col">
            <h3>What the network sees</h3>
            <PixelImage image={image} size={140} label="The 28 by 28 image given to the network" testId="preview-28" />
            <p className="small" data-testid="image-source">
              {source?.kind === 'test' ? (
                <>
                  Test image #{source.index}, true label <strong data-testid="true-label">{source.label}</strong>
                </>
              ) : source?.kind === 'drawing' ? (
                'Your drawing, size-normalised and centred like MNIST'
              ) : (
                <span className="muted">Nothing yet</span>
              )}
            </p>
          </div>

          <div className="probs-col">
            <h3>
              Prediction{' '}
              <span className="predicted" data-testid="predicted-digit">
                {predicted ?? '–'}
              </span>
            </h3>
            <LiveStatus text={heard} everyMs={1000} testId="prediction-live" />
            <ol className="probs" aria-label="Probability of each digit">
              {Array.from({ length: 10 }, (_, d) => {
                const p = probs?.[d] ?? 0;
                return (
                  <li key={d} data-testid={`prob-${d}`} data-value={probs ? p : ''} className={d === predicted ? 'top' : undefined}>
                    <span className="digit">{d}</span>
                    <span className="bar" aria-hidden="true">
                      <span style={{ width: `${(p * 100).toFixed(2)}%` }} />
                    </span>
                    <span className="pct">{probs ? `${(p * 100).toFixed(1)}%` : ''}</span>
                  </li>
                );
              })}
            </ol>
            {inspection && !inspection.trained && (
              <p className="note" data-testid="untrained-note">
                The model is untrained: these guesses are random until you train it.
              </p>
            )}
            {error && (
              <div className="error inline" role="alert" data-testid="mnist-inspect-error">
                {error}
              </div>
            )}
          </div>
        </div>
      </div>
      <InsideNetwork inspection={image ? inspection : null} image={image} />
    </>
  );
}
