/**
 * Why each reference-format key that herdctl loads but ignores is ignored, and where
 * docs/migrating.md says more. The wording is shared by every warning about such a key so that a
 * user sees the same explanation at load time as in the guide.
 */
const NOTES: Record<string, { why: string; anchor: string }> = {
  chat: {
    why: "herdctl's chat bots are set per agent (chat.discord, chat.slack); fleet-level chat settings and chat schedules are not in herdctl",
    anchor: "chat",
  },
  "chat.discord": {
    why: "herdctl's Discord bot does not do this (voice transcription, reactions, progress embeds, prompt tweaks)",
    anchor: "chat",
  },
  "chat.slack": {
    why: "herdctl's Slack bot names the tools the agent used, never their output",
    anchor: "chat",
  },
  "chat.discord.guilds.dm": {
    why: "direct messages belong to no server; set chat.discord.dm once for the bot",
    anchor: "chat",
  },
  work_source: {
    why: "the reference loads work_source but never fetches work from it, and neither does herdctl; say what to work on in the prompt",
    anchor: "work_source",
  },
  identity: {
    why: "herdctl does not use it; describe the persona in system_prompt",
    anchor: "identity-and-repo",
  },
  repo: {
    why: "herdctl does not clone repositories; clone it yourself and point working_directory at the clone",
    anchor: "identity-and-repo",
  },
  self_scheduling: {
    why: "agents cannot change their own schedules in herdctl; the operator does, with herdctl schedules",
    anchor: "self_scheduling",
  },
  working_directory: {
    why: "the reference loads a fleet-level working_directory but does not use it; set defaults.working_directory",
    anchor: "fleet-working_directory",
  },
  open_browser: {
    why: "herdctl does not open a browser; herdctl start --web prints the dashboard's login link",
    anchor: "opening-the-browser",
  },
  "session.model": {
    why: "herdctl uses the agent's model key for every job; set model",
    anchor: "session-model",
  },
};

export const MIGRATING_DOC = "docs/migrating.md";

/** Every section of docs/migrating.md a message links to; test/docs checks that each exists. */
export const MIGRATING_ANCHORS = [
  ...new Set([
    ...Object.values(NOTES).map((n) => n.anchor),
    "every-reference-key",
    "working-directory",
    "permissions",
  ]),
];

/**
 * The explanation after "is ignored: ", ending with the section of docs/migrating.md that covers
 * the key (in the message itself: the CLI prints warnings without their hints), and the hint.
 */
export function unsupportedNote(key: string): { why: string; hint: string } {
  const note = NOTES[key];
  const where = `${MIGRATING_DOC}#${note?.anchor ?? "every-reference-key"}`;
  const why = note ? `${note.why} (${where})` : `see ${where}`;
  return { why, hint: "remove the key to silence this warning" };
}
