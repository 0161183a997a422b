/**
 * Every problem found in a config, each as `path.to.key: reason` with array indices as
 * `peers[0].public_key`. Validation collects them all instead of stopping at the first, so a
 * user fixes a file in one round.
 */
export class Problems {
  readonly list: string[] = [];

  add(path: string, reason: string): void {
    this.list.push(`${path || "(top level)"}: ${reason}`);
  }

  get empty(): boolean {
    return this.list.length === 0;
  }
}

/** The path of `key` inside the mapping at `path`. */
export function keyPath(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

/** The path of item `index` of the list at `path`. */
export function indexPath(path: string, index: number): string {
  return `${path}[${index}]`;
}

/** A short description of a YAML value for "want X, got Y" messages. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "nothing (empty value)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `"${value}"`;
  return String(value);
}
