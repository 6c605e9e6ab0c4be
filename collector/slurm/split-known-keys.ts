/**
 * Splits `Key=value Key2=value with spaces` text where values may contain spaces: a word `X=` starts a new field
 * only when X is a known key, so `Name=my job NodeList=n1` keeps `my job` whole.
 */
export function splitKnownKeys(text: string, known: ReadonlySet<string>): Map<string, string> {
  const fields = new Map<string, string>();
  const pattern = /(?:^|\s)([A-Za-z][\w:/]*)=/g;
  let key: string | null = null;
  let valueStart = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    const name = m[1] ?? '';
    if (!known.has(name)) continue;
    if (key !== null) fields.set(key, text.slice(valueStart, m.index).trim());
    key = name;
    valueStart = m.index + m[0].length;
  }
  if (key !== null) fields.set(key, text.slice(valueStart).trim());
  return fields;
}
