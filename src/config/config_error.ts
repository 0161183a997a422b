/** A config that cannot be used: carries every problem found, one `path.to.key: reason` each. */
export class ConfigError extends Error {
  constructor(
    /** The config file the problems are in. */
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    const n = problems.length;
    super(`${file}: ${n} problem${n === 1 ? "" : "s"}:\n${problems.join("\n")}`);
    this.name = "ConfigError";
  }
}
