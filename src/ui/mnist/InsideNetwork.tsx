// Inside the network: the hidden state (and for the LSTM the input, forget and output gates) at each of the 28
// time steps for the current image. Row t of every heatmap lines up with row t of the image, the row the network
// read at step t.
import type { FromWorker } from '../../engine/protocol.ts';
import { Heatmap, PixelImage } from './Heatmap.tsx';

export type InspectionMsg = Extract<FromWorker, { type: 'mnist-inspection' }>;

const T = 28;
const ROW_PX = 5;

export function InsideNetwork({ inspection, image }: { inspection: InspectionMsg | null; image: Float32Array | null }) {
  if (!inspection || !image) {
    return (
      <div className="panel inside" data-testid="inside-network">
        <h2>Inside the network</h2>
        <p className="muted">Draw a digit or show a test image to see what the network computes at each row.</p>
      </div>
    );
  }
  const H = inspection.hiddenSize;
  const g = inspection.gates;
  return (
    <div className="panel inside" data-testid="inside-network">
      <h2>Inside the network</h2>
      <p className="muted small">
        Rows are time steps: at step <em>t</em> the network reads row <em>t</em> of the image (top to bottom). Columns are the {H} hidden
        units. {g ? 'The gates (0 = closed, 1 = open) decide what the LSTM writes to (input), keeps in (forget) and shows from (output) its memory.' : ''}
      </p>
      <div className="inside-grid">
        <figure className="heatmap input-rows">
          <figcaption>input rows</figcaption>
          <div className="heatmap-body">
            <div className="y-ticks" style={{ height: T * ROW_PX }} aria-hidden="true">
              <span>0</span>
              <span>{T - 1}</span>
            </div>
            <PixelImage image={image} size={T * ROW_PX} label="The image, one row per time step" />
          </div>
          <div className="x-axis">
            <span className="muted">time step = image row ↓</span>
          </div>
        </figure>
        <div className={`maps ${g ? 'four' : 'one'}`}>
          <Heatmap title="hidden state h" values={inspection.hidden} rows={T} cols={H} scale="diverging" rowHeight={ROW_PX} testId="heatmap-hidden" />
          {g && (
            <>
              <Heatmap title="input gate i" values={g.input} rows={T} cols={H} scale="unit" rowHeight={ROW_PX} testId="heatmap-input-gate" />
              <Heatmap title="forget gate f" values={g.forget} rows={T} cols={H} scale="unit" rowHeight={ROW_PX} testId="heatmap-forget-gate" />
              <Heatmap title="output gate o" values={g.output} rows={T} cols={H} scale="unit" rowHeight={ROW_PX} testId="heatmap-output-gate" />
            </>
          )}
        </div>
      </div>
    </div>
  );
}
