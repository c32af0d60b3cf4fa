/**
 * Text cut to one line with an ellipsis; the full text is in the tooltip and, when long,
 * one click away (an expandable line), so a table never has to scroll sideways to show it.
 */
export function Truncated({ text, code = false, expandAfter = 80 }: { text: string; code?: boolean; expandAfter?: number }) {
  const inner = code ? <code>{text}</code> : text;
  if (text.length <= expandAfter) {
    return (
      <span className="truncate" title={text}>
        {inner}
      </span>
    );
  }
  return (
    <details className="truncate-expand">
      <summary className="truncate" title={text}>
        {inner}
      </summary>
      <pre className="wrap">{text}</pre>
    </details>
  );
}
