export { editSchedule, type ScheduleEditOptions, type ScheduleEditResult } from "./edit.js";
export { type ScheduleEditCode, ScheduleEditError } from "./errors.js";
export {
  type ScheduleEditRequest,
  type ScheduleInput,
  ScheduleInputSchema,
  ScheduleNameSchema,
} from "./request.js";
