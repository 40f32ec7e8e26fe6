/**
 * `record[key]` for names that come from outside (URLs, request bodies, CLI arguments, config
 * keys): only the record's own entries count, so "__proto__", "toString" or "constructor" never
 * reach Object.prototype.
 */
export function ownValue<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}
