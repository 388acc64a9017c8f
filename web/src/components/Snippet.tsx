// A search snippet: the server marks matched words [like this]; they are shown highlighted.
export function Snippet({ text }: { text: string }) {
  const parts = text.split(/(\[[^\]]*\])/g).filter(Boolean);
  return (
    <span className="snippet">
      {parts.map((part, i) =>
        part.startsWith("[") && part.endsWith("]") && part.length > 2 ? (
          <mark key={i}>{part.slice(1, -1)}</mark>
        ) : (
          <span key={i}>{part}</span>
        ),
      )}
    </span>
  );
}
