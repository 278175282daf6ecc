/**
 * Something that brings commit log pages into the page cache ahead of the writer, off the append
 * path (src/workers' WorkerPagePopulator runs it in a thread of its own). Purely a performance
 * hint: if it lags, the writer takes ordinary page faults.
 */
export interface PagePopulator {
  /** Asks for the segment at `path` (starting at commit log offset `fileFromOffset`) to be populated up to byte `upTo`. */
  request(path: string, fileFromOffset: number, upTo: number): void;
  close(): Promise<void>;
}
