// Shared by the training specs: wait until a live chart has points and its curve has fallen below its first value.
import { expect, type Locator } from '@playwright/test';

/** `chart` carries data-points; `latest` carries data-first and data-value (the first and the newest point). */
export async function expectCurveFalls(chart: Locator, latest: Locator, minPoints: number, timeout: number, interval: number): Promise<{ first: string; last: string }> {
  await expect
    .poll(
      async () => {
        const points = Number(await chart.getAttribute('data-points'));
        const first = Number(await latest.getAttribute('data-first'));
        const last = Number(await latest.getAttribute('data-value'));
        return points >= minPoints && last < first;
      },
      { timeout, intervals: [interval] },
    )
    .toBe(true);
  return { first: (await latest.getAttribute('data-first')) ?? '', last: (await latest.getAttribute('data-value')) ?? '' };
}
