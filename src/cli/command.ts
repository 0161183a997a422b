/** What every `bond <command>` receives besides its own arguments. */
export interface GlobalOptions {
  /** `--debug`: stack traces on errors; passed on to the daemon. */
  debug: boolean;
}

/** One subcommand: its arguments (flags already normalised) to an exit code. */
export type Command = (args: string[], global: GlobalOptions) => Promise<number>;
