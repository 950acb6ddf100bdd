// The colour scheme the page follows (the system's light or dark setting) and the colours that cannot come from
// CSS: chart strokes (recharts draws SVG from props) and heatmap pixels (canvas). They match app.css's variables.
import { useSyncExternalStore } from 'react';

const DARK_QUERY = '(prefers-color-scheme: dark)';

function subscribe(onChange: () => void): () => void {
  const mq = window.matchMedia(DARK_QUERY);
  mq.addEventListener('change', onChange);
  return () => mq.removeEventListener('change', onChange);
}

/** True while the system asks for a dark colour scheme; re-renders when it changes. */
export function useDarkMode(): boolean {
  return useSyncExternalStore(subscribe, () => window.matchMedia(DARK_QUERY).matches, () => false);
}

export interface ChartColors {
  raw: string;
  smooth: string;
  accent: string;
  reference: string;
  grid: string;
  axis: string;
  tooltipBg: string;
  tooltipBorder: string;
  text: string;
}

/** Contrast: every line and label colour is at least 3:1 (lines) or 4.5:1 (text) against the card behind it. */
const LIGHT: ChartColors = {
  raw: '#6f93c0',
  smooth: '#1f5fa8',
  accent: '#b8461b',
  reference: '#5a6572',
  grid: '#eef0f3',
  axis: '#5a6572',
  tooltipBg: '#ffffff',
  tooltipBorder: '#dde1e6',
  text: '#1d232b',
};
const DARK: ChartColors = {
  raw: '#4d6f99',
  smooth: '#78adf0',
  accent: '#f0935e',
  reference: '#a3aebb',
  grid: '#2a323c',
  axis: '#a3aebb',
  tooltipBg: '#1b2128',
  tooltipBorder: '#333c47',
  text: '#e3e8ee',
};

export function chartColors(dark: boolean): ChartColors {
  return dark ? DARK : LIGHT;
}

/** The chart colours of the current scheme. */
export function useChartColors(): ChartColors {
  return chartColors(useDarkMode());
}
