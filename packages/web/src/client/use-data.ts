import { useCallback, useEffect, useRef, useState } from "react";

/**
 * Loads data for a page, again whenever `key` changes; `reload` keeps showing the old data until
 * the new arrives, and a slow answer never overwrites a newer one. `initial`, when given, is the
 * first `key`'s data already at hand: shown in the first render, not loaded again.
 */
export function useData<T>(load: () => Promise<T>, key: string, initial?: T) {
  const [data, setData] = useState<T | undefined>(initial);
  const given = useRef(initial !== undefined);
  const [error, setError] = useState<unknown>(undefined);
  const seq = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(() => {
    const mine = ++seq.current;
    loadRef.current().then(
      (d) => {
        if (mine !== seq.current) return;
        setData(d);
        setError(undefined);
      },
      (e) => mine === seq.current && setError(e),
    );
  }, []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for what `load` reads
  useEffect(() => {
    if (given.current) {
      given.current = false;
      return;
    }
    setData(undefined);
    reload();
  }, [key, reload]);
  return { data, error, reload, setData };
}
