/**
 * A pure function of an object, each answer kept for as long as the object lives (a WeakMap).
 * For facts of objects that are asked about again and again: the parse cache hands out the
 * same policy objects for the same text, so the webhook reads a policy once however often it
 * reviews it. The answer may be undefined; it is kept like any other.
 */
export function keptPerObject<K extends object, V>(compute: (key: K) => V): (key: K) => V {
  const kept = new WeakMap<K, V>();
  return (key) => {
    const known = kept.get(key);
    if (known !== undefined || kept.has(key)) return known as V;
    const value = compute(key);
    kept.set(key, value);
    return value;
  };
}
