// A search over all of a task's labels (a combobox): type to filter, arrows to move, Enter to
// pick, Escape to close.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { searchLabels } from "../lib/review-queue.js";

export function LabelSearch({ labels, onPick, onClose }: { labels: string[]; onPick: (label: string) => void; onClose: () => void }) {
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const matches = useMemo(() => searchLabels(labels, query, 60), [labels, query]);
  // Layout effect: focus before the next key press can reach the page.
  useLayoutEffect(() => input.current?.focus(), []);
  useEffect(() => setActive(0), [query]);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "ArrowDown") {
      e.preventDefault();
      setActive((a) => Math.min(matches.length - 1, a + 1));
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      setActive((a) => Math.max(0, a - 1));
    } else if (e.key === "Enter") {
      e.preventDefault();
      const label = matches[active];
      if (label !== undefined) onPick(label);
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      onClose();
    }
  };

  return (
    <div class="label-search">
      <label for="label-search-input">Search all {labels.length} labels</label>
      <input
        ref={input}
        id="label-search-input"
        type="text"
        role="combobox"
        aria-expanded="true"
        aria-controls="label-search-list"
        aria-activedescendant={matches[active] !== undefined ? `label-option-${active}` : undefined}
        autoComplete="off"
        value={query}
        placeholder="type part of a label, Enter to choose, Esc to close"
        onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
        onKeyDown={onKeyDown}
      />
      <ul id="label-search-list" role="listbox" aria-label="Matching labels" class="label-options">
        {matches.length === 0 ? <li class="muted">No label matches.</li> : null}
        {matches.map((l, i) => (
          <li
            key={l}
            id={`label-option-${i}`}
            role="option"
            aria-selected={i === active}
            class={i === active ? "active" : ""}
            onMouseDown={(e) => {
              e.preventDefault();
              onPick(l);
            }}
          >
            {l}
          </li>
        ))}
      </ul>
    </div>
  );
}
