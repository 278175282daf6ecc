import mmapModule from '@riaskov/mmap-io';

/**
 * The mmap binding. Its typings declare an ES default export while the package is CommonJS, so
 * under NodeNext the default import is typed as the module namespace; at run time `default` is
 * the binding itself. One place resolves that for the whole code base.
 */
type Binding = (typeof mmapModule)['default'];
const mod = mmapModule as unknown as { default?: Binding } & Binding;
export const mmap: Binding = mod.default ?? mod;
