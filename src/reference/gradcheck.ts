/**
 * Finite-difference gradient checking.
 *   numericGrad(f, x, eps): central differences (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) for every i,
 *     (error ~ eps² · f''' + ulp(f) / eps: for O(1) losses in f64, eps ≈ 1e-5 is the sweet spot),
 *     perturbing x in place and restoring it exactly. f must read x (e.g. close over it).
 *   maxRelError(a, b, floor): max_i |a_i - b_i| / max(floor, |a_i| + |b_i|). Note |a|+|b| (not max) in the
 *     denominator, so the value is in [0, 1]; floor (default 1e-8) stops entries where both are ~0 from dominating.
 */

export function numericGrad(f: () => number, x: Float64Array, eps = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const x0 = x[i]!;
    x[i] = x0 + eps;
    const fp = f();
    x[i] = x0 - eps;
    const fm = f();
    x[i] = x0;
    g[i] = (fp - fm) / (2 * eps);
  }
  return g;
}

export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-8): number {
  if (a.length !== b.length) throw new Error(`maxRelError: lengths ${a.length} != ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    const e = d / Math.max(floor, Math.abs(a[i]!) + Math.abs(b[i]!));
    if (e > worst || Number.isNaN(e)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

/** Σ r_i * y_i: the scalar loss used to turn a tensor output into something gradcheckable (dL/dy = r). */
export function dot(r: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += r[i]! * y[i]!;
  return s;
}

/**
 * Fourth-order central differences (-f(x+2h) + 8 f(x+h) - 8 f(x-h) + f(x-2h)) / (12 h): error ~ h⁴ f⁽⁵⁾ + ulp(f)/h,
 * so h ≈ 1e-3 gives ~1e-12 absolute error in f64 (vs ~1e-10 for the two-point form at its best eps).
 */
export function numericGrad5(f: () => number, x: Float64Array, eps = 1e-3): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const x0 = x[i]!;
    const at = (d: number): number => {
      x[i] = x0 + d;
      return f();
    };
    const fp2 = at(2 * eps), fp1 = at(eps), fm1 = at(-eps), fm2 = at(-2 * eps);
    x[i] = x0;
    g[i] = (-fp2 + 8 * fp1 - 8 * fm1 + fm2) / (12 * eps);
  }
  return g;
}
