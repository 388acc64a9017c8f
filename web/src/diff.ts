// A line diff for two versions side by side: the longest common subsequence of lines, then rows
// pairing a removed line with an added one where they face each other.

export interface Row {
  left: string | null;
  right: string | null;
  kind: "same" | "changed" | "removed" | "added";
  leftNumber: number | null;
  rightNumber: number | null;
}

const MAX_CELLS = 4_000_000; // past this, a whole-block change is shown instead (bounded work)

type Op = { kind: "same" | "removed" | "added"; text: string };

function operations(a: string[], b: string[]): Op[] {
  if (a.length * b.length > MAX_CELLS) {
    return [...a.map((text) => ({ kind: "removed" as const, text })), ...b.map((text) => ({ kind: "added" as const, text }))];
  }
  // lengths[i][j]: the longest common subsequence of a[i:] and b[j:].
  const width = b.length + 1;
  const lengths = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i * width + j] =
        a[i] === b[j]
          ? lengths[(i + 1) * width + j + 1]! + 1
          : Math.max(lengths[(i + 1) * width + j]!, lengths[i * width + j + 1]!);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      ops.push({ kind: "same", text: a[i]! });
      i++;
      j++;
    } else if (lengths[(i + 1) * width + j]! >= lengths[i * width + j + 1]!) {
      ops.push({ kind: "removed", text: a[i++]! });
    } else {
      ops.push({ kind: "added", text: b[j++]! });
    }
  }
  while (i < a.length) ops.push({ kind: "removed", text: a[i++]! });
  while (j < b.length) ops.push({ kind: "added", text: b[j++]! });
  return ops;
}

export function diffLines(before: string, after: string): Row[] {
  const ops = operations(before.split("\n"), after.split("\n"));
  const rows: Row[] = [];
  let left = 1;
  let right = 1;
  for (let k = 0; k < ops.length; ) {
    if (ops[k]!.kind === "same") {
      rows.push({ left: ops[k]!.text, right: ops[k]!.text, kind: "same", leftNumber: left++, rightNumber: right++ });
      k++;
      continue;
    }
    const removed: string[] = [];
    const added: string[] = [];
    while (k < ops.length && ops[k]!.kind !== "same") {
      (ops[k]!.kind === "removed" ? removed : added).push(ops[k]!.text);
      k++;
    }
    for (let n = 0; n < Math.max(removed.length, added.length); n++) {
      const l = removed[n] ?? null;
      const r = added[n] ?? null;
      rows.push({
        left: l,
        right: r,
        kind: l !== null && r !== null ? "changed" : l !== null ? "removed" : "added",
        leftNumber: l !== null ? left++ : null,
        rightNumber: r !== null ? right++ : null,
      });
    }
  }
  return rows;
}
