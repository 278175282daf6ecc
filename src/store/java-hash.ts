/** Java's `String.hashCode` over UTF-16 code units with 32-bit wrap-around (RocketMQ tag codes, index keys). */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** ConsumeQueue tag code of a TAGS value: its hashCode, 0 for no tag. */
export function tagsCodeOf(tags: string | undefined | null): number {
  return tags ? javaStringHashCode(tags) : 0;
}
