// The MNIST playground as a person uses it, shared by the specs: a "7" drawn with the mouse, the ten class
// probabilities the page shows, and the two together (a drawing classified by the model in use).
import { expect, type Page } from '@playwright/test';

/** Draws a "7" with the mouse (pointer events) on the drawing canvas (`clear`: wipes it first). */
export async function drawSeven(page: Page, clear = false): Promise<void> {
  if (clear) await page.getByTestId('draw-clear').click();
  const canvas = page.getByTestId('draw-canvas');
  await canvas.scrollIntoViewIfNeeded();
  const box = (await canvas.boundingBox())!;
  const at = (fx: number, fy: number) => [box.x + fx * box.width, box.y + fy * box.height] as const;
  const path = [at(0.25, 0.2), at(0.5, 0.2), at(0.75, 0.2), at(0.65, 0.45), at(0.55, 0.65), at(0.45, 0.85)];
  await page.mouse.move(...path[0]!);
  await page.mouse.down();
  for (const p of path.slice(1)) await page.mouse.move(...p, { steps: 6 });
  await page.mouse.up();
}

/** The probability of each digit, as the page shows it (data-value of prob-0 .. prob-9). */
export async function probabilities(page: Page): Promise<number[]> {
  const values: number[] = [];
  for (let d = 0; d < 10; d++) values.push(Number(await page.getByTestId(`prob-${d}`).getAttribute('data-value')));
  return values;
}

/** Draws the same "7" and returns the probabilities once they are valid and differ from `before` (a previous
 *  model's), or once they are valid when there is none. */
export async function classify(page: Page, before: number[] | null = null): Promise<number[]> {
  await drawSeven(page, true);
  await expect.poll(async () => {
    const p = await probabilities(page);
    const valid = p.every((v) => Number.isFinite(v) && v >= 0 && v <= 1) && Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-3;
    return valid && (before === null || p.some((v, i) => Math.abs(v - before[i]!) > 1e-4));
  }).toBe(true);
  return probabilities(page);
}
