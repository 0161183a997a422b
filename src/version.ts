/** bond's release version, shown by `bond version` and in status output. */
export const VERSION = "0.1.0";
