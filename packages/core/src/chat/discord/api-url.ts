/**
 * Where Discord's REST API is. The variable exists for herdctl's own tests, which point the bot
 * and the discord hooks at the Discord stand-in on 127.0.0.1; nothing else should set it.
 */
export const DISCORD_API_ENV = "HERDCTL_DISCORD_API_URL";
const DISCORD_API = "https://discord.com/api";
export const DISCORD_API_VERSION = "10";

export function discordApiUrl(env: Record<string, string | undefined>): string {
  return (env[DISCORD_API_ENV] || DISCORD_API).replace(/\/+$/, "");
}
