/**
 * DocSpace's rules for people's names and email addresses, as the simulator applies them. Written
 * from DocSpace's own sources (tag v3.7.2-server of ONLYOFFICE/DocSpace-server and the default
 * configuration in ONLYOFFICE/DocSpace-buildtools), never from the service's code: the service
 * cleans names and checks emails in src/domain, and a simulator that borrowed those rules could
 * not catch a misreading in them.
 *
 * Two things follow from DocSpace being .NET and not JavaScript:
 * - .NET's Regex compares UTF-16 code units, one at a time; a character outside the Basic
 *   Multilingual Plane is two surrogates, whose category is Cs, so `\p{L}` never matches it
 *   (dotnet/runtime#36425: "Regex doesn't support surrogates today. All comparisons are performed
 *   on individual chars"; dotnet/corefx#7569). `𝔄𝔩𝔦𝔠𝔢` is no name to DocSpace.
 * - `IdnMapping` on Linux is ICU's UTS #46 `uidna_nameToASCII`, which refuses a label longer than
 *   63 characters or an empty one, and .NET throws for any ICU error and for control characters
 *   (dotnet/runtime: src/native/libs/System.Globalization.Native/pal_idna.c,
 *   System/Globalization/IdnMapping.Icu.cs).
 */

/**
 * `core:username:regex`, as DocSpace-buildtools config/appsettings.json sets it
 * (`^[\p{L}\p{M}' \-]+$`), applied by UserFormatter.IsValidUserName
 * (common/ASC.Core.Common/Users/UserFormatter.cs). With the `u` flag JavaScript reads code points;
 * surrogates are refused separately below, as .NET never matches them.
 */
const USER_NAME = /^[\p{L}\p{M}' -]+$/u;
const SURROGATE = /[\uD800-\uDFFF]/;

/** Whether DocSpace takes `name` as a first or last name (UserFormatter.IsValidUserName). */
export function isValidUserName(name: string): boolean {
  return !SURROGATE.test(name) && USER_NAME.test(name);
}

/**
 * The `firstname`/`lastname` columns are `varchar(64)`
 * (migrations/mysql/SaaS/MigrationContext/MigrationContextModelSnapshot.cs, `HasMaxLength(64)`)
 * while the API lets 255 through (`[StringLength(255)]`, MemberRequestDto.cs), and DocSpace runs
 * MySQL with `sql_mode = 'NO_ENGINE_SUBSTITUTION'` (DocSpace-buildtools
 * install/docker/config/mysql/conf.d/mysql.cnf): not strict, so a longer name is stored cut to
 * 64 characters (MySQL counts characters, i.e. code points).
 */
export const NAME_COLUMN_LENGTH = 64;

/** What the database keeps of a name the API accepted. */
export function storedName(name: string): string {
  return Array.from(name).slice(0, NAME_COLUMN_LENGTH).join('');
}

/**
 * `_reStrict` of common/ASC.Core.Common/Core/StringExtension.cs, character for character. No `u`
 * flag: like .NET, the pattern reads UTF-16 code units.
 */
const STRICT =
  /^(([^<>()[\]\\.,;:\s@"]+(\.[^<>()[\]\\.,;:\s@"]+)*)|(".+"))@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\])|(([a-zA-Z\-0-9]+\.)+[a-zA-Z]{2,}))$/;

/** `TestEmailRegex`: the trimmed address matches the strict pattern. */
export function testEmailRegex(email: string): boolean {
  const trimmed = email.trim();
  return trimmed !== '' && STRICT.test(trimmed);
}

/**
 * `TestEmailPunyCode`: the strict pattern is matched against the address as given (untrimmed), and
 * every distinct non-empty group of the match, the whole match included, goes through
 * `TestPunnyCode`. An address that does not match has no groups, so it passes this test.
 */
export function testEmailPunyCode(email: string): boolean {
  const match = STRICT.exec(email);
  if (match === null) return false;
  // A group that took no part in the match is undefined (the types do not say so).
  const groups = new Set<string | undefined>(match);
  return [...groups].some((group) => group !== undefined && group !== '' && punny(group));
}

/**
 * `TestPunnyCode`: `IdnMapping.GetAscii(value.TrimStart('.'))`, then `GetUnicode` of that, and
 * true when the two differ or when `GetAscii` throws. Modelled: a control character (.NET throws
 * before asking ICU), any character beyond ASCII (its label becomes `xn--…` and comes back as
 * itself), a label that already is an ACE label (`xn--…` comes back decoded, or throws), an empty
 * label inside the name, and a label longer than 63 characters (ICU errors). Not modelled: ICU's
 * hyphen rules, which need more than the sources above to state.
 */
function punny(value: string): boolean {
  const name = value.replace(/^\.+/, '');
  if (/[^\x20-\x7e]/.test(name)) return true;
  const labels = name.split('.');
  if (labels.at(-1) === '') labels.pop();
  return labels.some((label) => label === '' || label.length > 63 || /^xn--/i.test(label));
}

/**
 * Which accounts are one: DocSpace finds a user by email with MySQL's `utf8_general_ci` collation
 * (common/ASC.Core.Common/EF/Queries/UserQueries.cs, `UserByEmailAsync`), which ignores case.
 */
export function sameEmailKey(email: string): string {
  return email.trim().toLowerCase();
}
