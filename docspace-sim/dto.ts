import { EMPLOYEE_TYPE } from './constants.js';
import { displayNameOf } from './format.js';
import type { SimUser } from './types.js';

/** `EmployeeDto`: what `POST /people/invite` lists. No email, type or status (UserController.InviteUsers). */
export interface EmployeeDto {
  id: string;
  displayName: string;
  avatar: string;
  avatarOriginal: string;
  avatarMax: string;
  avatarMedium: string;
  avatarSmall: string;
  profileUrl: string;
  hasAvatar: boolean;
  isAnonim: boolean;
}

/** `EmployeeFullDto` (the fields the simulator knows; DocSpace omits null ones: common/ASC.Api.Core/Model/EmployeeFullDto.cs). */
export interface EmployeeFullDto extends EmployeeDto {
  firstName: string;
  lastName: string;
  userName: string;
  email: string;
  status: number;
  activationStatus: number;
  terminated?: string;
  department: string;
  isAdmin: boolean;
  isRoomAdmin: boolean;
  isCollaborator: boolean;
  isVisitor: boolean;
  isOwner: boolean;
  isLDAP: boolean;
  isSSO: boolean;
  mobilePhoneActivationStatus: number;
  /** Who made the account; shown to DocSpace admin callers only (EmployeeFullDtoHelper.GetFullAsync). */
  createdBy?: EmployeeDto;
  registrationDate: string;
}

/** Default avatar paths as DocSpace returns them for users without a photo. */
function avatarUrl(size: string, user: SimUser): string {
  const hash = Number.parseInt(user.id.slice(0, 8), 16) % 2147483647;
  return `/static/images/default_user_photo_size_${size}.png?hash=${hash}`;
}

/** Builds the short `EmployeeDto`; `origin` is `http://host` of the request. */
export function toEmployeeDto(user: SimUser, origin: string): EmployeeDto {
  return {
    id: user.id,
    displayName: displayNameOf(user),
    avatar: avatarUrl('82-82', user),
    avatarOriginal: avatarUrl('200-200', user),
    avatarMax: avatarUrl('200-200', user),
    avatarMedium: avatarUrl('48-48', user),
    avatarSmall: avatarUrl('32-32', user),
    // The real portal links the people list filtered by the email (DocSpace client mocks).
    profileUrl: `${origin}/accounts/people/filter?search=${encodeURIComponent(user.email)}`,
    hasAvatar: false,
    isAnonim: false,
  };
}

/** Who asks: the simulator's API key belongs to the portal owner, a DocSpace admin. */
export interface Viewer {
  /** Id of the portal owner (`isOwner`; `isAdmin` is false for them: EmployeeFullDto.GetFullAsync). */
  readonly ownerId: string;
  /** Finds the account a `createdBy` id names. */
  readonly findAnyone: (id: string) => SimUser | undefined;
}

/**
 * Builds `EmployeeFullDto`, with the type flags as the server sets them
 * (ONLYOFFICE/DocSpace-server:common/ASC.Api.Core/Model/EmployeeFullDto.cs, `GetFullAsync`:
 * `IsAdmin` = DocSpaceAdmin and not the owner, `IsRoomAdmin`, `IsCollaborator` = User,
 * `IsVisitor` = Guest) and `createdBy`, which an admin caller (the key owner) always sees.
 */
export function toEmployeeFullDto(user: SimUser, origin: string, viewer?: Viewer): EmployeeFullDto {
  const isOwner = user.id === viewer?.ownerId;
  const dto: EmployeeFullDto = {
    ...toEmployeeDto(user, origin),
    firstName: user.firstName,
    lastName: user.lastName,
    userName: user.userName,
    email: user.email,
    status: user.status,
    activationStatus: user.activationStatus,
    department: '',
    isAdmin: user.type === EMPLOYEE_TYPE.DocSpaceAdmin && !isOwner,
    isRoomAdmin: user.type === EMPLOYEE_TYPE.RoomAdmin,
    isCollaborator: user.type === EMPLOYEE_TYPE.User,
    isVisitor: user.type === EMPLOYEE_TYPE.Guest,
    isOwner,
    isLDAP: false,
    isSSO: false,
    mobilePhoneActivationStatus: 0,
    registrationDate: user.registrationDate,
  };
  if (user.terminated !== undefined) dto.terminated = user.terminated;
  const creator = user.createdBy === undefined ? undefined : viewer?.findAnyone(user.createdBy);
  if (creator !== undefined) dto.createdBy = toEmployeeDto(creator, origin);
  return dto;
}
