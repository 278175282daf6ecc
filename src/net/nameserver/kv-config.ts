import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseFastjson, stringifyFastjson } from '../fastjson.js';
import { silentLogger, type Logger } from '../logger.js';
import { replaceFileSync } from '../../store/replace-file.js';
import { makeDirs } from '../../store/make-dirs.js';

/** Namespace of the order-topic settings that REGISTER_BROKER answers and routes carry. */
export const NAMESPACE_ORDER_TOPIC_CONFIG = 'ORDER_TOPIC_CONFIG';

/**
 * The NameServer's namespace -> key -> value store (KVConfigManager.java), persisted after every
 * change as `{"configTable":{"ns":{"k":"v"}}}`. The file is replaced atomically (write to .tmp,
 * keep the previous one as .bak, rename), as MixAll.string2File does. An empty path keeps it in
 * memory only.
 */
export class KvConfig {
  private readonly table = new Map<string, Map<string, string>>();
  private readonly path: string;
  private readonly logger: Logger;

  constructor(path: string, logger: Logger = silentLogger) {
    this.path = path;
    this.logger = logger;
  }

  /** Reads the file if it exists; a file that does not parse is an error naming it. */
  load(): void {
    if (this.path === '' || !existsSync(this.path)) return;
    const text = readFileSync(this.path, 'utf8');
    if (text.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = parseFastjson(text);
    } catch (err) {
      throw new Error(`KV config file ${this.path} does not parse: ${(err as Error).message}`, { cause: err });
    }
    const configTable = ((parsed ?? {}) as { configTable?: Record<string, Record<string, unknown>> }).configTable ?? {};
    for (const [ns, kv] of Object.entries(configTable)) {
      const m = new Map<string, string>();
      for (const [k, v] of Object.entries(kv ?? {})) if (v !== null && v !== undefined) m.set(k, String(v));
      this.table.set(ns, m);
    }
    this.logger.info('loaded KV config %s (%d namespaces)', this.path, this.table.size);
  }

  put(namespace: string, key: string, value: string): void {
    let kv = this.table.get(namespace);
    if (kv === undefined) this.table.set(namespace, (kv = new Map()));
    kv.set(key, value);
    this.persist();
  }

  get(namespace: string, key: string): string | undefined {
    return this.table.get(namespace)?.get(key);
  }

  delete(namespace: string, key: string): void {
    const kv = this.table.get(namespace);
    if (kv === undefined || !kv.delete(key)) return;
    this.persist();
  }

  /** The namespace's entries, or undefined when it has none. */
  list(namespace: string): ReadonlyMap<string, string> | undefined {
    const kv = this.table.get(namespace);
    return kv === undefined || kv.size === 0 ? undefined : kv;
  }

  toJson(): string {
    return stringifyFastjson({ configTable: this.table });
  }

  private persist(): void {
    if (this.path === '') return;
    makeDirs(dirname(this.path));
    replaceFileSync(this.path, this.toJson(), { backup: true });
  }
}
