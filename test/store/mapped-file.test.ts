import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { MappedFile } from '../../src/store/mapped-file.js';
import { tempDir } from '../helpers/store-paths.js';

describe('a mapped file', () => {
  it('a flush that was waiting when the file was closed resolves instead of failing on the closed descriptor', async () => {
    // A rolled index file is flushed in the background while recovery may truncate it away; the
    // flush used to call fdatasync(-1) and the start failed with a RangeError.
    const t = tempDir();
    try {
      const f = MappedFile.open(join(t.dir, '00000000000000000000'), 0, 4096, { create: true });
      f.buffer.write('x', 0);
      f.wrotePosition = 1;
      const flushing = f.flush(); // waits for the new file's directory sync first
      f.destroy();
      await expect(flushing).resolves.toBe(0);
    } finally {
      t.cleanup();
    }
  });
});
