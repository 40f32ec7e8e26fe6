/** Slack's mrkdwn reads &, < and > as markup (links, mentions): text from elsewhere is escaped. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * An answer may repeat what a chat user planted in it: `<!channel>`, `<!here>`, `<!everyone>` and
 * `<!subteam^…>` would notify the whole channel or a group, so they are shown as text instead.
 */
export function withoutBroadcasts(text: string): string {
  return text.replace(/<!(channel|here|everyone|subteam\^)([^>]*)>/g, "&lt;!$1$2&gt;");
}
