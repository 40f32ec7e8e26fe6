import type { SNode } from "./source.js";

/**
 * Layers configuration the way the fleet file promises: mappings merge key by key, lists and scalars
 * from `over` replace those of `base`. Works on raw (unvalidated) trees so that a schema default can
 * never shadow a value the fleet wrote. Inputs are not modified; every node keeps its origin.
 */
export function mergeNodes(base: SNode | undefined, over: SNode | undefined): SNode | undefined {
  if (!over) return base && clone(base);
  if (base?.kind !== "map" || over.kind !== "map") return clone(over);
  const entries = new Map<string, SNode>();
  for (const [key, value] of base.entries) entries.set(key, clone(value));
  for (const [key, value] of over.entries) entries.set(key, mergeNodes(base.entries.get(key), value)!);
  return { kind: "map", origin: over.origin, entries };
}

/** Merges any number of layers, later ones winning. */
export function mergeLayers(...layers: (SNode | undefined)[]): SNode | undefined {
  return layers.reduce<SNode | undefined>((merged, layer) => mergeNodes(merged, layer), undefined);
}

export function withoutKeys(node: SNode | undefined, keys: readonly string[]): SNode | undefined {
  if (node?.kind !== "map") return node;
  const entries = new Map([...node.entries].filter(([key]) => !keys.includes(key)));
  return { ...node, entries };
}

// Validation may coerce scalars in place; copies keep one agent's coercion out of another's tree.
function clone(node: SNode): SNode {
  if (node.kind === "scalar") return { ...node };
  if (node.kind === "seq") return { ...node, items: node.items.map(clone) };
  return { ...node, entries: new Map([...node.entries].map(([k, v]) => [k, clone(v)])) };
}
