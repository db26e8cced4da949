/**
 * The error texts the simulated portal answers with, in the API key owner's language: DocSpace's
 * `CultureMiddleware` sets the request culture from the authenticated user's `CultureName`, else the
 * portal's (ONLYOFFICE/DocSpace-server:common/ASC.Api.Core/Middleware/CultureMiddleware.cs), and the
 * texts below come from the server's resource files, read at tag v3.7.2-server:
 *
 * - English: web/ASC.Web.Core/PublicResources/Resource.resx (`ErrorEmailAlreadyExists` is
 *   "{!User} with this email is already registered", `{!User}` → "User" by
 *   web/ASC.Web.Core/Users/CustomNamingPeople.cs under the default naming scheme);
 * - German: web/ASC.Web.Core/PublicResources/Resource.de.resx (its `ErrorEmailAlreadyExists`
 *   carries no `{!User}` to substitute).
 *
 * Texts the server writes as literals, not resources, stay English in every language: "Access
 * denied" (common/ASC.Api.Core/Middleware/ResponseWrapper.cs), "Incorrect status", "The user is
 * not suspended" (products/ASC.People/Server/Api/UserController.cs), and .NET's own messages
 * ("Value cannot be null…").
 */
export const SIM_LANGS = ['en', 'de'] as const;
export type SimLang = (typeof SIM_LANGS)[number];

export interface SimMessages {
  /** `ErrorEmailAlreadyExists` (UserManagerWrapper.AddUserAsync). */
  readonly emailAlreadyExists: string;
  /** `ErrorIncorrectUserName`. */
  readonly incorrectUserName: string;
  /** `ErrorUserNotFound` (404 of GET /people/email and /people/{id}). */
  readonly userNotFound: string;
  /** `ErrorUserDisabled`; UserController.InviteUsers appends ": " and the email. */
  readonly userDisabled: string;
  /** `ErrorNotCorrectEmail` (UserController.InviteUsers). */
  readonly incorrectEmail: string;
  /** `TariffsFeature_usersQuotaExceeds_exception`, "{0}/{1}": requested and free paid seats. */
  readonly adminsExceedLimit: (requested: number, free: number) => string;
  /** `ErrorGroupNotFound` (404 of the group endpoints; docs/docspace-lifecycle.md, §9). */
  readonly groupNotFound: string;
  /** `ErrorMessage_FolderNotFound` (FilesCommonResource; room share, room missing). */
  readonly folderNotFound: string;
  /** `ErrorMessage_RoleNotAvailable` (room share, access not allowed for the room or user type). */
  readonly roleNotAvailable: string;
}

const MESSAGES: Readonly<Record<SimLang, SimMessages>> = {
  en: {
    emailAlreadyExists: 'User with this email is already registered',
    incorrectUserName: 'Incorrect firstname or lastname',
    userNotFound: 'The user could not be found',
    userDisabled: 'User disabled',
    incorrectEmail: 'Incorrect email',
    adminsExceedLimit: (requested, free) =>
      `The number of admins exceeds the limit: ${requested}/${free}.`,
    groupNotFound: 'The group could not be found',
    folderNotFound: 'The required folder was not found',
    roleNotAvailable: 'The role is not available for this user type',
  },
  de: {
    emailAlreadyExists: 'Ein Benutzer mit dieser E-Mail-Adresse ist bereits registriert',
    incorrectUserName: 'Falscher Vor- oder Nachname',
    userNotFound: 'Der Benutzer konnte nicht gefunden werden',
    userDisabled: 'Benutzer deaktiviert',
    incorrectEmail: 'Ungültige E-Mail-Adresse',
    adminsExceedLimit: (requested, free) =>
      `Die Anzahl der Administratoren überschreitet das Limit: ${requested}/${free}.`,
    groupNotFound: 'Die Gruppe konnte nicht gefunden werden',
    folderNotFound: 'Der angefragte Ordner wurde nicht gefunden',
    roleNotAvailable: 'Die Rolle ist für diesen Benutzertyp nicht verfügbar',
  },
};

/** The texts of `lang`. */
export function messagesFor(lang: SimLang): SimMessages {
  return MESSAGES[lang];
}

/** Reads a language setting (`DOCSPACE_SIM_LANG`); undefined when it is not one we have. */
export function parseSimLang(value: string | undefined): SimLang | undefined {
  const wanted = (value ?? '').trim().toLowerCase();
  return SIM_LANGS.find((lang) => lang === wanted);
}
