/**
 * JSON with object keys in sorted order at every level, so that dumps of the same model are equal
 * byte for byte (golden files, diffs between two hosts' configs). Arrays keep their order; Maps
 * are written as objects and Sets as arrays; undefined members are left out as JSON.stringify does.
 */
export function stableStringify(value: unknown, indent = 2): string {
  return JSON.stringify(sortKeys(value, 0), null, indent) ?? 'null';
}

/** Bound on nesting, so a cyclic or absurdly deep value cannot run away. */
const DEPTH_MAX = 200;

function sortKeys(value: unknown, depth: number): unknown {
  if (depth > DEPTH_MAX) return '[too deep]';
  if (value instanceof Map) return sortKeys(Object.fromEntries([...value].map(([k, v]) => [String(k), v])), depth);
  if (value instanceof Set) return [...value].map((v) => sortKeys(v, depth + 1));
  if (Array.isArray(value)) return value.map((v) => sortKeys(v, depth + 1));
  if (value !== null && typeof value === 'object') {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return sortKeys((toJSON as () => unknown).call(value), depth + 1);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key], depth + 1);
    return out;
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}
