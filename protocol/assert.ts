// The one end of every exhaustive switch in corral: reaching it is a programmer error (a union
// grew a variant that a switch does not handle), so it throws and is never caught.

export function assertNever(value: never): never {
  const variant: unknown = value;
  const type = typeof variant === 'object' && variant !== null && 'type' in variant
    ? String(variant.type)
    : typeof variant === 'object' && variant !== null && 'kind' in variant
      ? String(variant.kind)
      : String(variant);
  throw new Error(`unexpected variant: ${type}`);
}
