/**
 * Linux network interface names, checked the way the kernel's dev_valid_name does, so a bad
 * name is caught by `bond check` rather than by a failing ioctl at start-up.
 */

/** IFNAMSIZ (16) including the terminating NUL. */
export const MAX_INTERFACE_NAME_BYTES = 15;

/** Why `name` is not a valid interface name, or undefined when it is. */
export function interfaceNameProblem(name: string): string | undefined {
  const bytes = new TextEncoder().encode(name).length;
  if (bytes > MAX_INTERFACE_NAME_BYTES) {
    return `interface name "${name}" is ${bytes} bytes, at most ${MAX_INTERFACE_NAME_BYTES} allowed`;
  }
  if (name === "." || name === "..") return `"${name}" is not a valid interface name`;
  if (/[\s/:]/.test(name)) {
    return `interface name "${name}" must not contain "/", ":" or white space`;
  }
  return undefined;
}
