import { ButtonStyle, ComponentType } from "discord.js";
import { BUTTON_PREFIX as PREFIX } from "../approval-command.js";

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
