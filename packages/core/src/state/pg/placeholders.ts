/**
 * SQLite's `?` and `@name` placeholders as PostgreSQL's `$1, $2, …`, so a statement both dialects
 * accept is written once. A placeholder inside a string literal, a quoted identifier or a comment
 * is left alone. `names` lists the named parameters in `$n` order (one entry per distinct name).
 */
export function toPgPlaceholders(sql: string): { sql: string; names: string[] } {
  let out = "";
  let n = 0;
  const names: string[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const stop = end === -1 ? sql.length : end + 1;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      const stop = end === -1 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === "?") {
      out += `$${++n}`;
      i++;
    } else if (c === "@" && /[A-Za-z_]/.test(sql[i + 1] ?? "")) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1))![0];
      let index = names.indexOf(name);
      if (index === -1) index = names.push(name) - 1;
      out += `$${index + 1}`;
      i += 1 + name.length;
    } else {
      out += c;
      i++;
    }
  }
  return { sql: out, names };
}
