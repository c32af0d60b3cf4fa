/** A formatted frame "fn (file:line:column)" (or a bare location) split into its parts. */
export interface FrameParts {
  fn: string;
  file: string;
  line: number;
  column: number;
}

export function parseFormattedFrame(text: string): FrameParts {
  let fn = "";
  let location = text;
  const open = text.lastIndexOf(" (");
  if (open >= 0 && text.endsWith(")")) {
    fn = text.slice(0, open);
    location = text.slice(open + 2, -1);
  }
  const match = /^(.*?):(\d+)(?::(\d+))?$/.exec(location);
  if (!match) return { fn: fn || "<anonymous>", file: location, line: 0, column: 0 };
  return { fn: fn || "<anonymous>", file: match[1], line: Number(match[2]), column: Number(match[3] ?? 0) };
}
