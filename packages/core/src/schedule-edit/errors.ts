/** Why a schedule change was refused (ScheduleEditError.code). */
export type ScheduleEditCode =
  /** The request itself is malformed (name, keys, types). */
  | "SCHEDULE_BAD_REQUEST"
  /** `add` of a name the agent already has, without replace. */
  | "SCHEDULE_EXISTS"
  /** Declared where herdctl will not write (fleet defaults, overrides, an alias), or not there at all. */
  | "SCHEDULE_NOT_EDITABLE"
  /** The file changed on disk since it was loaded, in the part this edit touches. */
  | "SCHEDULE_FILE_CONFLICT"
  | "SCHEDULE_FILE_UNREADABLE"
  /** The edited configuration does not load; nothing was written. */
  | "SCHEDULE_INVALID";

/** A refused schedule change, with a `code` to branch on; nothing was written or applied. */
export class ScheduleEditError extends Error {
  constructor(
    readonly code: ScheduleEditCode,
    message: string,
  ) {
    super(message);
    this.name = "ScheduleEditError";
  }
}
