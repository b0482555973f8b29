// Znode path rules, as ZooKeeper's PathUtils.validatePath applies them, plus the parent/basename
// helpers the tree needs. Checks run on UTF-16 code units, like Java chars, so any character
// outside the Basic Multilingual Plane (a surrogate pair) is rejected exactly as ZooKeeper does.

/** Why `path` is not a valid znode path, or undefined when it is. A sequential create may end
 * in '/', because ZooKeeper validates `path + "1"` for it (the server appends the counter). */
export function pathProblem(path: string, sequential = false): string | undefined {
  const checked = sequential ? `${path}1` : path;
  if (checked.length === 0) return 'path length must be > 0';
  if (checked.charCodeAt(0) !== 0x2f) return 'path must start with / character';
  if (checked.length === 1) return undefined;
  if (checked.charCodeAt(checked.length - 1) === 0x2f) return 'path must not end with / character';
  let previous = 0x2f;
  for (let index = 1; index < checked.length; previous = checked.charCodeAt(index), index++) {
    const code = checked.charCodeAt(index);
    if (code === 0) return `null character not allowed @${index}`;
    if (code === 0x2f && previous === 0x2f) return `empty node name specified @${index}`;
    if (code === 0x2e) {
      // A whole '.' or '..' segment is relative; dots inside a name are fine.
      const segmentStart = previous === 0x2e ? index - 2 : index - 1;
      const startsSegment = checked.charCodeAt(segmentStart) === 0x2f;
      const endsSegment = index + 1 === checked.length || checked.charCodeAt(index + 1) === 0x2f;
      if (startsSegment && endsSegment) return `relative paths not allowed @${index}`;
      continue;
    }
    if (isDisallowedCharacter(code)) return `invalid character @${index}`;
  }
  return undefined;
}

export function isValidPath(path: string, sequential = false): boolean {
  return pathProblem(path, sequential) === undefined;
}

/** The code-unit ranges PathUtils rejects: C0 and C1 controls, surrogates and the private use
 * area, and U+FFF0..U+FFFF (specials and non-characters). */
function isDisallowedCharacter(code: number): boolean {
  return (
    (code > 0x0000 && code <= 0x001f) ||
    (code >= 0x007f && code <= 0x009f) ||
    (code >= 0xd800 && code <= 0xf8ff) ||
    code >= 0xfff0
  );
}

/** Parent of a path by its last '/': "/a/b" → "/a", "/a" → "/". ZooKeeper takes the substring
 * before the last slash and aliases "" to the root; this returns "/" directly. */
export function parentOf(path: string): string {
  const lastSlash = path.lastIndexOf('/');
  return lastSlash <= 0 ? '/' : path.slice(0, lastSlash);
}

/** The last segment of a path ("" for the root). */
export function basenameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Joins a parent path and a child name. */
export function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/** Java's String.format("%010d", n) for an int: ten characters, zero padded after the sign. */
export function sequenceSuffix(counter: number): string {
  if (counter >= 0) return String(counter).padStart(10, '0');
  return `-${String(-counter).padStart(9, '0')}`;
}
