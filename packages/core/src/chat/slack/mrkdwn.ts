/** Slack's mrkdwn reads &, < and > as markup (links, mentions): text from elsewhere is escaped. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
