export {
  ApprovalBroker,
  type ApprovalBrokerEvents,
  type ApprovalDecision,
  type ApprovalJob,
  cleanReason,
  describe as describeApproval,
} from "./broker.js";
export { matchedRule } from "./rule-match.js";
export { APPROVAL_INPUT_MAX, callKey, summarizeInput } from "./summary.js";
