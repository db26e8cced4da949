/**
 * DocSpace's strict email rule, the one `POST /people/invite` applies before it answers
 * 400 "Incorrect email" (ONLYOFFICE/DocSpace-server common/ASC.Core.Common/Core/StringExtension.cs,
 * `_reStrict`). Intake applies the same rule so that no hire reaches the queue that DocSpace would
 * refuse later, half-way through an invitation batch.
 */
const STRICT_EMAIL =
  /^(([^<>()[\]\\.,;:\s@"]+(\.[^<>()[\]\\.,;:\s@"]+)*)|(".+"))@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\])|(([a-zA-Z\-0-9]+\.)+[a-zA-Z]{2,}))$/;

/** DocSpace's `[StringLength(255)]` on the email field. */
export const EMAIL_MAX_LENGTH = 255;

/** Anything but printable ASCII, or an ACE label (`xn--…`): what DocSpace's punycode test refuses. */
const PUNYCODE = /[^ -~]|(^|[.@])xn--/i;

/**
 * `TestEmailPunyCode` hands the whole address (and each part of it) to .NET's `IdnMapping`, which
 * on Linux is ICU's UTS #46 `uidna_nameToASCII`: it splits at dots only, so the stretch around the
 * `@` is one label, and a label longer than 63 characters, or an empty one, is an error, which
 * .NET throws and DocSpace counts as punycode (ICU uts46.cpp, UIDNA_ERROR_LABEL_TOO_LONG and
 * UIDNA_ERROR_EMPTY_LABEL; dotnet/runtime System.Globalization.Native/pal_idna.c).
 */
function hasBadLabel(address: string): boolean {
  // Label by label without splitting the address into an array (it runs on every delivery).
  for (let start = 0; ;) {
    const dot = address.indexOf('.', start);
    const end = dot < 0 ? address.length : dot;
    if (end === start || end - start > 63) return true;
    if (dot < 0) return false;
    start = dot + 1;
  }
}

/**
 * True when `email` passes DocSpace's strict rule and its punycode test (`TestEmailPunyCode`, same
 * file), which refuses any part that IDN mapping would change or cannot map: non-ASCII characters,
 * `xn--` labels, and labels that are empty or longer than 63 characters. This is what
 * `POST /people/invite` checks.
 */
export function isStrictEmail(email: string): boolean {
  const trimmed = email.trim();
  return (
    trimmed.length > 0 &&
    trimmed.length <= EMAIL_MAX_LENGTH &&
    STRICT_EMAIL.test(trimmed) &&
    !PUNYCODE.test(trimmed) &&
    !hasBadLabel(trimmed)
  );
}

/**
 * A quoted local part as RFC 5322 has it (`"…"`, inner quotes and backslashes escaped). The
 * strict rule takes any `".+"`, but `POST /people` then parses the address with .NET's
 * `MailAddress`, which throws on `"a"b"@x.com` or `"a\"@x.com`: DocSpace answers 500, a passing
 * failure retried for hours (found by the fault suite's fuzzer).
 */
const QUOTED_LOCAL = /^"(?:[^"\\]|\\.)*"$/;

/** True when DocSpace would take `email` as it is (after trimming), on both endpoints. */
export function isValidEmail(email: string): boolean {
  if (!isStrictEmail(email)) return false;
  const trimmed = email.trim();
  const local = trimmed.slice(0, trimmed.lastIndexOf('@'));
  return !local.startsWith('"') || QUOTED_LOCAL.test(local);
}

/**
 * The key a person is known by: DocSpace compares emails case-insensitively (MySQL
 * utf8_general_ci), so `Alice@Example.com` and `alice@example.com` are one account.
 */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
