// Placeholder: the Fable (character-level language model) panel is being built separately.
import type { Engine } from './useEngine.ts';

export interface FablePanelProps {
  engine: Engine;
}

export function FablePanel(_props: FablePanelProps) {
  return (
    <div className="panel placeholder" data-testid="fable-panel">
      <h2>Fable</h2>
      <p>Coming soon: train a character-level LSTM on Aesop's fables and let it write new ones.</p>
    </div>
  );
}
