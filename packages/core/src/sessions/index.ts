export { type Adoption, type AdoptionCandidates, adoptionCandidates, adoptSession } from "./adopt.js";
export { SessionError, type SessionErrorCode } from "./errors.js";
export { type ForkPlan, planFork } from "./fork.js";
export { type PlaceOptions, type TranscriptPlace, transcriptPlace } from "./place.js";
export {
  claudeConfigDir,
  findTranscript,
  listTranscripts,
  projectSlug,
  type TranscriptInfo,
} from "./transcripts.js";
