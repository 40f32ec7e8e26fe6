import type { z } from "zod";

/** A validation failure as one line naming each key at fault. */
export function issueText(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join(".") : "body"}: ${i.message}`).join("; ");
}

/** The request's JSON body; an empty body reads as `{}`. Throws on text that is not JSON. */
export async function jsonBody(req: Request): Promise<unknown> {
  const text = await req.text();
  if (text.trim() === "") return {};
  return JSON.parse(text);
}

export async function parsedBody<T>(
  req: Request,
  schema: z.ZodType<T>,
): Promise<{ ok: true; data: T } | { ok: false; message: string }> {
  let raw: unknown;
  try {
    raw = await jsonBody(req);
  } catch {
    return { ok: false, message: "the request body is not valid JSON" };
  }
  const body = schema.safeParse(raw);
  return body.success ? { ok: true, data: body.data } : { ok: false, message: issueText(body.error) };
}
