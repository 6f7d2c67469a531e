// Text an app controls (its log lines, its tasks' error messages) goes to the operator's
// terminal. Control characters would let a tenant rewrite what is shown: a carriage return
// writes over the platform's `task@node` prefix, escape sequences retitle the window, move the
// cursor or (OSC 52) set the clipboard. They are printed as visible escapes instead.

// C0 controls but tab, DEL, and the C1 controls (U+0080-U+009F, which some terminals obey).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
