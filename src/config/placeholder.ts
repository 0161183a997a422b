/**
 * Stands in for the other side's public key in a starter config (`bond config`). Validation
 * recognises it and says what to paste, instead of a puzzling "not base64".
 */
export const PEER_KEY_PLACEHOLDER = "PASTE_THE_OTHER_SIDES_PUBLIC_KEY_HERE";
