// Placeholder: the Penn TreeBank (word-level language model) panel is being built separately.
import type { Engine } from './useEngine.ts';

export interface PtbPanelProps {
  engine: Engine;
}

export function PtbPanel(_props: PtbPanelProps) {
  return (
    <div className="panel placeholder" data-testid="ptb-panel">
      <h2>Penn TreeBank</h2>
      <p>Coming soon: the word-level language model of Zaremba et al. on the Penn TreeBank, with perplexity curves.</p>
    </div>
  );
}
