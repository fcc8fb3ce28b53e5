// Exact (Clopper–Pearson) confidence bounds on a binomial proportion, and the special functions they
// need: log-gamma (Lanczos), the regularized incomplete beta function (continued fraction, modified
// Lentz) and its inverse (Newton safeguarded by bisection). Pure arithmetic: runs in Node and browsers.

const LANCZOS_G = 7;
const LANCZOS_COEFFICIENTS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/** ln Γ(x) for x > 0 (Lanczos approximation, g = 7, ~15 significant digits). */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`logGamma: x must be > 0, got ${x}`);
  if (x < 0.5) {
    // Reflection: Γ(x)Γ(1−x) = π / sin(πx); keeps the series in its accurate range.
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  }
  const z = x - 1;
  let sum = LANCZOS_COEFFICIENTS[0];
  for (let i = 1; i < LANCZOS_COEFFICIENTS.length; i++) sum += LANCZOS_COEFFICIENTS[i] / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return HALF_LOG_TWO_PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b). */
export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

const CF_EPSILON = 1e-16;
const CF_TINY = 1e-300;

/** Continued fraction for I_x(a, b) (Numerical Recipes' betacf), evaluated by the modified Lentz method. */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  // Converges in O(sqrt(max(a, b))) terms when x is on the right side of the mean (the caller ensures it).
  const maxIterations = 1000 + Math.ceil(20 * Math.sqrt(Math.max(a, b)));
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < CF_TINY) d = CF_TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= maxIterations; m++) {
    const m2 = 2 * m;
    // Even step.
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < CF_TINY) d = CF_TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < CF_TINY) c = CF_TINY;
    d = 1 / d;
    h *= d * c;
    // Odd step.
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < CF_TINY) d = CF_TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < CF_TINY) c = CF_TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < CF_EPSILON) return h;
  }
  throw new Error(`incomplete beta: continued fraction did not converge (x=${x}, a=${a}, b=${b})`);
}

function checkShape(a: number, b: number, fn: string): void {
  if (!(a > 0 && b > 0 && Number.isFinite(a) && Number.isFinite(b))) {
    throw new RangeError(`${fn}: shape parameters must be finite and > 0, got a=${a}, b=${b}`);
  }
}

/** Regularized incomplete beta function I_x(a, b) = P(X ≤ x) for X ~ Beta(a, b). */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  checkShape(a, b, "regularizedIncompleteBeta");
  if (Number.isNaN(x)) throw new RangeError("regularizedIncompleteBeta: x is NaN");
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const logFront = a * Math.log(x) + b * Math.log1p(-x) - logBeta(a, b);
  // The fraction converges fast below the mean; above it use I_x(a, b) = 1 − I_{1−x}(b, a).
  if (x < (a + 1) / (a + b + 2)) {
    return (Math.exp(logFront) * betaContinuedFraction(x, a, b)) / a;
  }
  return 1 - (Math.exp(logFront) * betaContinuedFraction(1 - x, b, a)) / b;
}

/** Log of the Beta(a, b) density at x in (0, 1). */
function logBetaDensity(x: number, a: number, b: number, lnB: number): number {
  return (a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x) - lnB;
}

/**
 * Inverse of I_x(a, b) in x: the p-quantile of Beta(a, b). Newton's method on I_x(a, b) − p, kept
 * inside a shrinking bisection bracket so it cannot diverge; absolute accuracy ~1e-13 in x.
 */
export function betaQuantile(p: number, a: number, b: number): number {
  checkShape(a, b, "betaQuantile");
  if (!(p >= 0 && p <= 1)) throw new RangeError(`betaQuantile: p must be in [0, 1], got ${p}`);
  if (p === 0) return 0;
  if (p === 1) return 1;
  const lnB = logBeta(a, b);
  let lo = 0;
  let hi = 1;
  // Start at the mean: I is increasing, so Newton from there reaches the root in a few steps for
  // the moderate quantiles used here; bisection takes over whenever a step would leave the bracket.
  let x = a / (a + b);
  for (let iteration = 0; iteration < 300; iteration++) {
    const f = regularizedIncompleteBeta(x, a, b) - p;
    if (f === 0) return x;
    if (f < 0) lo = x;
    else hi = x;
    if (hi - lo < 1e-15) break;
    const density = Math.exp(logBetaDensity(x, a, b, lnB));
    let next = density > 0 && Number.isFinite(density) ? x - f / density : Number.NaN;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (Math.abs(next - x) < 1e-14 * Math.max(1e-3, x)) {
      x = next;
      break;
    }
    x = next;
  }
  return Math.min(1, Math.max(0, x));
}

function checkCounts(errors: number, n: number, confidenceLevel: number, fn: string): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${fn}: n must be an integer ≥ 0, got ${n}`);
  if (!Number.isInteger(errors) || errors < 0 || errors > n) {
    throw new RangeError(`${fn}: errors must be an integer in [0, n], got ${errors} (n=${n})`);
  }
  if (!(confidenceLevel > 0 && confidenceLevel < 1)) {
    throw new RangeError(`${fn}: confidenceLevel must be in (0, 1), got ${confidenceLevel}`);
  }
}

/**
 * Exact one-sided upper confidence bound on a binomial proportion (Clopper–Pearson): the
 * `confidenceLevel` quantile of Beta(errors + 1, n − errors). With probability ≥ confidenceLevel the
 * true proportion is ≤ this value. 1 when n = 0 or errors = n.
 */
export function clopperPearsonUpper(errors: number, n: number, confidenceLevel: number): number {
  checkCounts(errors, n, confidenceLevel, "clopperPearsonUpper");
  if (n === 0 || errors === n) return 1;
  // Closed form for 0 errors: solve (1 − p)^n = 1 − confidenceLevel.
  if (errors === 0) return -Math.expm1(Math.log1p(-confidenceLevel) / n);
  return betaQuantile(confidenceLevel, errors + 1, n - errors);
}

/**
 * Exact one-sided lower confidence bound (Clopper–Pearson): the (1 − confidenceLevel) quantile of
 * Beta(errors, n − errors + 1). With probability ≥ confidenceLevel the true proportion is ≥ this
 * value. 0 when errors = 0 (including n = 0).
 */
export function clopperPearsonLower(errors: number, n: number, confidenceLevel: number): number {
  checkCounts(errors, n, confidenceLevel, "clopperPearsonLower");
  if (errors === 0) return 0;
  // Closed form for errors = n: solve p^n = 1 − confidenceLevel.
  if (errors === n) return Math.exp(Math.log1p(-confidenceLevel) / n);
  return betaQuantile(1 - confidenceLevel, errors, n - errors + 1);
}

/**
 * Smallest n such that 0 errors out of n gives a Clopper–Pearson upper bound ≤ maxError: the least
 * held-out evidence that can ever prove the target (59 for maxError 0.05 at 95%).
 */
export function minSamplesForBound(maxError: number, confidenceLevel: number): number {
  if (!(maxError > 0 && maxError < 1)) throw new RangeError(`minSamplesForBound: maxError must be in (0, 1), got ${maxError}`);
  if (!(confidenceLevel > 0 && confidenceLevel < 1)) {
    throw new RangeError(`minSamplesForBound: confidenceLevel must be in (0, 1), got ${confidenceLevel}`);
  }
  // 1 − (1 − cl)^(1/n) ≤ maxError  ⇔  n ≥ ln(1 − cl) / ln(1 − maxError); then settle rounding
  // against the bound function itself so the two always agree.
  let n = Math.max(1, Math.ceil(Math.log1p(-confidenceLevel) / Math.log1p(-maxError)));
  while (n > 1 && clopperPearsonUpper(0, n - 1, confidenceLevel) <= maxError) n--;
  while (clopperPearsonUpper(0, n, confidenceLevel) > maxError) n++;
  return n;
}
