// Whether a request's Accept header admits a media type, as libprocess
// decides it (process/http.cpp Request::_acceptsMediaType): no header
// admits everything; otherwise "type/subtype", then "type/*", then "*/*"
// is looked for, and the first entry that names it decides (q=0 refuses).

export function acceptsMediaType(accept: string | undefined, mediaType: string): boolean {
  const parts = mediaType.split('/').filter((p) => p !== '');
  if (parts.length !== 2) return false;
  if (accept === undefined) return true;
  const header = accept.replace(/[ \t\n]/g, '');
  const candidates = [mediaType, `${parts[0]}/*`, '*/*'];
  for (const candidate of candidates) {
    for (const entry of header.split(',').filter((e) => e !== '')) {
      const tokens = entry.split(';').filter((t) => t !== '');
      if (tokens.length === 0) continue;
      if (tokens[0]!.toLowerCase() !== candidate.toLowerCase()) continue;
      const q = tokens
        .map((t) => t.split('=').filter((p) => p !== ''))
        .filter((pair) => pair.length === 2 && pair[0] === 'q')
        .map((pair) => pair[1]!);
      if (q.length !== 1) return true;
      const value = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(q[0]!) ? Number(q[0]) : Number.NaN;
      return value > 0;
    }
  }
  return false;
}
