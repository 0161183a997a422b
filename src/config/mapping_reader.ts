/**
 * Typed access to one YAML mapping of the config. Each accessor checks the value's type and
 * range and, when it is wrong, records a problem under the key's full path and returns
 * undefined, so validation carries on and reports everything at once.
 */
import { describeValue, keyPath, Problems } from "./problems.ts";

export class MappingReader {
  private constructor(
    private readonly value: Record<string, unknown>,
    /** Path of this mapping ("" for the top level). */
    readonly path: string,
    readonly problems: Problems,
  ) {}

  /**
   * Opens `value` as a mapping whose keys must all be in `known`; records a problem for a
   * non-mapping and for each unknown key (a typo must never be silently ignored).
   */
  static open(
    value: unknown,
    path: string,
    problems: Problems,
    known: readonly string[],
  ): MappingReader | undefined {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      problems.add(path, `want a mapping of keys, got ${describeValue(value)}`);
      return undefined;
    }
    const map = value as Record<string, unknown>;
    for (const key of Object.keys(map)) {
      if (known.includes(key)) continue;
      const near = known.find((k) => editDistance(k, key) <= 2);
      const hint = near ? `did you mean "${near}"?` : `known keys: ${known.join(", ")}`;
      problems.add(keyPath(path, key), `unknown key (${hint})`);
    }
    return new MappingReader(map, path, problems);
  }

  has(key: string): boolean {
    return this.value[key] !== undefined;
  }

  raw(key: string): unknown {
    return this.value[key];
  }

  pathOf(key: string): string {
    return keyPath(this.path, key);
  }

  /** Records a problem about `key`. */
  fail(key: string, reason: string): undefined {
    this.problems.add(this.pathOf(key), reason);
    return undefined;
  }

  /** Records "missing" for an absent required key; true when present. */
  require(key: string): boolean {
    if (this.has(key)) return true;
    this.fail(key, "missing (required)");
    return false;
  }

  string(key: string): string | undefined {
    const v = this.value[key];
    if (v === undefined) return undefined;
    if (typeof v !== "string" || v === "") {
      return this.fail(key, `want a non-empty string, got ${describeValue(v)}`);
    }
    return v;
  }

  oneOf<T extends string>(key: string, choices: readonly T[]): T | undefined {
    const v = this.value[key];
    if (v === undefined) return undefined;
    if (typeof v === "string" && (choices as readonly string[]).includes(v)) return v as T;
    return this.fail(key, `want one of ${choices.join(" | ")}, got ${describeValue(v)}`);
  }

  integer(key: string, min: number, max: number): number | undefined {
    const v = this.value[key];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v)) {
      return this.fail(key, `want a whole number ${min}-${max}, got ${describeValue(v)}`);
    }
    if (v < min || v > max) return this.fail(key, `${v} out of range ${min}-${max}`);
    return v;
  }

  /** A finite number greater than zero. */
  positive(key: string): number | undefined {
    const v = this.value[key];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      return this.fail(key, `want a number greater than 0, got ${describeValue(v)}`);
    }
    return v;
  }

  boolean(key: string): boolean | undefined {
    const v = this.value[key];
    if (v === undefined) return undefined;
    if (typeof v !== "boolean") {
      return this.fail(key, `want true or false, got ${describeValue(v)}`);
    }
    return v;
  }

  /** A YAML list; a single scalar is accepted as a one-item list (`address: 10.66.0.2/24`). */
  list(key: string): unknown[] | undefined {
    const v = this.value[key];
    if (v === undefined) return undefined;
    if (Array.isArray(v)) return v;
    if (typeof v === "string") return [v];
    return this.fail(key, `want a list, got ${describeValue(v)}`);
  }

  mapping(key: string, known: readonly string[]): MappingReader | undefined {
    const v = this.value[key];
    if (v === undefined) return undefined;
    return MappingReader.open(v, this.pathOf(key), this.problems, known);
  }
}

/** Levenshtein distance, for "did you mean" hints on misspelt keys. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost));
    }
    prev = cur;
  }
  return prev[b.length];
}
