// The sampling temperature slider of the text generators (fable playground, PTB samples): 0 is greedy argmax.
import { useId } from 'react';

export const MAX_TEMPERATURE = 2;
/** Up to this temperature a confident model usually writes exactly what greedy (0) writes: the note says why. */
export const LOW_TEMPERATURE = 0.75;

export interface TemperatureProps {
  value: number;
  onChange: (t: number) => void;
  /** Test-id prefix: `${testId}` on the slider, `${testId}-value` on the shown value. */
  testId: string;
  help: string;
}

export function Temperature({ value, onChange, testId, help }: TemperatureProps) {
  const id = useId();
  const low = value > 0 && value <= LOW_TEMPERATURE;
  return (
    <div className="field fable-temperature">
      <label htmlFor={`${id}-temperature`}>
        Temperature: <span data-testid={`${testId}-value`}>{value === 0 ? '0 (greedy)' : value.toFixed(2)}</span>
      </label>
      <input
        id={`${id}-temperature`}
        type="range"
        min={0}
        max={MAX_TEMPERATURE}
        step={0.05}
        value={value}
        onChange={(e) => onChange(Number(e.target.value))}
        aria-describedby={low ? `${id}-temperature-help ${id}-temperature-low` : `${id}-temperature-help`}
        aria-valuetext={value === 0 ? '0, greedy: always the most likely word' : value.toFixed(2)}
        data-testid={testId}
      />
      <span id={`${id}-temperature-help`} className="muted small">
        {help}
      </span>
      {low && (
        <span id={`${id}-temperature-low`} className="muted small" data-testid={`${testId}-low-note`}>
          Same words as at 0? A confident model gives its top word far more probability than the rest, so at a low temperature the draw
          still picks it nearly every time. Try 1 or more to see other choices.
        </span>
      )}
    </div>
  );
}
