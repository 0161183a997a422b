/** The text of `bond help`. */
import { DEFAULT_CONFIG_PATH } from "../config/load.ts";

export const USAGE = `usage: bond <command> [flags]

  bond -config FILE               run the daemon in the role FILE names (same as bond run)
  bond run [-config FILE]         run the daemon in the foreground, logging to stderr
  bond check [-config FILE]       validate a configuration; every problem as path.to.key: reason
  bond status [-config FILE | -socket PATH] [-json] [-watch [-count N]]
                                  the running daemon's status (also bond -status); exit 1 if
                                  none is running
  bond reload [-config FILE | -socket PATH] [-json]
                                  the daemon re-reads its file (as SIGHUP does); a bad file is
                                  rejected with its problems and the old configuration runs on
  bond speedtest [LINK] [-seconds N] [-json] [-server ADDR] [-set LINK]
                 [-config FILE | -socket PATH]
                                  download and upload against the VPS: through the bonded
                                  tunnel, or with LINK over that link alone, past the tunnel;
                                  -set writes the rates into the file as LINK's seeds
  bond config -output FILE [-role router|vps] [-force]
                                  write a commented starter configuration with a fresh key
                                  (-output - writes to standard output)
  bond genkey                     print a new private key (base64, as wg genkey)
  bond pubkey                     read a private key on stdin, print its public key
  bond bench crypto               AEAD throughput of each available crypto backend
  bond version                    version, Deno version, target and crypto backend
  bond help                       this text

Flags take one dash or two (-config and --config are the same).
  -config FILE   configuration file (default ${DEFAULT_CONFIG_PATH})
  -debug         show stack traces on errors and pass debug mode to the daemon
  -h, -help      this text

Exit status: 0 success, 1 runtime or validation failure, 2 usage error.
`;
