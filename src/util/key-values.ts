// The answers of database and Redis clients, read as records.

/** Lines "key<TAB>value" (mariadb -N -s) or "key:value" (INFO) as a record. */
export function keyValues(output: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of output.split('\n')) {
    const m = /^([A-Za-z0-9_-]+)[\t:](.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.trim();
  }
  return out;
}
