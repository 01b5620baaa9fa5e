/** Largest decoded image accepted in a data URL (seed 004: 5 MB). */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
export const IMAGE_MEDIA_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] as const;

const DATA_URL = /^data:([a-z]+\/[a-z0-9.+-]+);base64,/i;

/** Why an image_url is refused, or undefined when it is acceptable. Remote http(s) URLs pass through to the provider. */
export function imageUrlProblem(url: string): string | undefined {
  if (/^https?:\/\//i.test(url)) return url.length <= 2_048 ? undefined : 'an image URL may be at most 2048 characters';
  const match = DATA_URL.exec(url);
  if (!match) return 'must be an https URL or a base64 data URL (data:image/png;base64,...)';
  const mediaType = match[1].toLowerCase();
  if (!(IMAGE_MEDIA_TYPES as readonly string[]).includes(mediaType)) {
    return `unsupported image type ${mediaType}; use JPEG, PNG, GIF or WebP`;
  }
  const base64 = url.slice(match[0].length);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) return 'the data URL is not valid base64';
  const bytes = Math.floor((base64.length * 3) / 4) - (base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0);
  if (bytes > MAX_IMAGE_BYTES) return `the image is ${bytes} bytes; the limit is ${MAX_IMAGE_BYTES} bytes (5 MB)`;
  return undefined;
}
