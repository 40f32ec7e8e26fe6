import { ButtonStyle, ComponentType } from "discord.js";
import { isApprovalId } from "../../state/index.js";

const PREFIX = "herdctl-approval";

/** The Approve and Deny buttons under a request, as Discord's message components. */
export function approvalButtons(id: string) {
  return [
    {
      type: ComponentType.ActionRow as const,
      components: [
        {
          type: ComponentType.Button as const,
          style: ButtonStyle.Success as const,
          label: "Approve",
          custom_id: `${PREFIX}:approve:${id}`,
        },
        {
          type: ComponentType.Button as const,
          style: ButtonStyle.Danger as const,
          label: "Deny",
          custom_id: `${PREFIX}:deny:${id}`,
        },
      ],
    },
  ];
}

/**
 * A clicked button's decision. The custom id comes back from Discord as the client sent it, so it
 * is read as untrusted: anything but herdctl's exact shape, with a well-formed id, is undefined.
 */
export function buttonDecision(customId: string): { decision: "approve" | "deny"; id: string } | undefined {
  const [prefix, decision, id, ...rest] = customId.split(":");
  if (prefix !== PREFIX || rest.length > 0 || !isApprovalId(id)) return undefined;
  if (decision !== "approve" && decision !== "deny") return undefined;
  return { decision, id };
}
