/**
 * A float as Go's `strconv.FormatFloat(v, 'g', -1, 64)` prints it, which is how node_exporter's
 * client_golang writes sample values: shortest digits, `e+NN` from an exponent of 6 up, `e-NN` below -4.
 */
export function formatGoFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa, exponentText] = value.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  // With the shortest precision Go decides as if the precision were 6.
  if (exponent < -4 || exponent >= 6) return formatExponent(mantissa, exponent);
  return String(value);
}

function formatExponent(mantissa: string, exponent: number): string {
  const sign = exponent < 0 ? '-' : '+';
  return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}
