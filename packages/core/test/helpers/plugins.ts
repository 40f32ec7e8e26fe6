import { fileURLToPath } from "node:url";

/** A real plugin folder: one slash command (/greeter:greet) and one skill (greeter:herd-facts). */
export const GREETER = fileURLToPath(new URL("../fixtures/plugins/greeter", import.meta.url));
/** The prompt that invokes the plugin's command. */
export const GREET_PROMPT = "/greeter:greet Bob";
/** The text of commands/greet.md, as claude expands it for GREET_PROMPT. */
export const EXPANDED = "GREETER-PLUGIN-COMMAND: say hello to Bob in exactly three words.";
/** From the skill's description, which claude lists to the model. */
export const SKILL_MARK = "HERD-FACTS-SKILL";
