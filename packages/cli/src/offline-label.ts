// Apart from offline.ts, which loads the stand-in server: printing the label must not load it.
export const OFFLINE_LABEL = "OFFLINE: replies come from herdctl's built-in stand-in, not from Claude";
