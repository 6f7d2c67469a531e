import type { ErrorDetail } from '../errors.js';

// A YAML alias is a reference, so a few lines can stand for a tree of billions of values
// ("billion laughs": nine anchors, each nine aliases of the one before); every stage after
// the parser walks the expanded tree and would run out of time and memory. Nesting deep
// enough overflows the stack of any recursive walker. Both are refused as soon as the text
// is parsed, before any other stage. Real manifests and compose files are far below both bounds.

/** Values in a document, counting each alias as the values it stands for. */
export const MAX_DOCUMENT_VALUES = 100_000;
/** Levels of nesting of mappings and sequences: js-yaml's own bound for YAML, kept for JSON too. */
export const MAX_DOCUMENT_DEPTH = 100;

/** What is wrong with the document's size, or undefined; stops walking at the first bound crossed. */
export function documentBoundsError(doc: unknown): ErrorDetail | undefined {
  let values = 0;
  // An explicit stack, not recursion: the walk must not overflow on the input it checks.
  const stack: { value: unknown; depth: number }[] = [{ value: doc, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (++values > MAX_DOCUMENT_VALUES) {
      return { path: '', message: `holds more than ${MAX_DOCUMENT_VALUES} values (counting what its aliases repeat)` };
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_DOCUMENT_DEPTH) return { path: '', message: `nests deeper than ${MAX_DOCUMENT_DEPTH} levels` };
    for (const child of Object.values(value)) stack.push({ value: child, depth: depth + 1 });
  }
  return undefined;
}
