const ATEXT = "[A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~\\u0080-\\uFFFF]";
const DOT_ATOM_LOCAL = new RegExp(`^${ATEXT}+(\\.${ATEXT}+)*$`, 'u');
const QUOTED = /^"([^"\\\r\n]|\\.)*"$/u;
const DOT_ATOM_DOMAIN = /^[A-Za-z0-9\-\u0080-\uFFFF]+(\.[A-Za-z0-9\-\u0080-\uFFFF]+)*$/u;
const LITERAL = /^\[[^[\]\\\r\n]*\]$/u;

/**
 * An approximation of .NET's `new MailAddress(email).Address`, which `POST /people` applies after
 * the lax `[EmailAddress]` check (UserManagerWrapper.AddUserAsync, web/ASC.Web.Core/Users/UserManagerWrapper.cs): surrounding white space is dropped, the local part
 * must be a dot-atom or a quoted string, and the domain a dot-atom or an address literal.
 * Returns the address, or `undefined` where .NET would throw `FormatException` (→ HTTP 500).
 * Display-name forms (`Alice <a@b.c>`) are not supported and count as malformed.
 */
export function parseMailAddress(value: string): string | undefined {
  const address = value.trim();
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return undefined;
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  const localOk = DOT_ATOM_LOCAL.test(local) || QUOTED.test(local);
  const domainOk = DOT_ATOM_DOMAIN.test(domain) || LITERAL.test(domain);
  return localOk && domainOk ? address : undefined;
}
