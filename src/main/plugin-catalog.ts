/** The plugins the service offers, behind the control plane's port (core/plugin.ts PluginCatalog). */
import type { PluginCatalog } from '../core/plugin.ts';
import { serverPlugin } from '../plugins/libvirt/server-plugin.ts';
import { volumePlugin } from '../plugins/volume/volume-plugin.ts';
import { discoverFileSets, fileSetSchemas } from '../plugins/files/file-roots.ts';

export function pluginCatalog(): PluginCatalog {
  const server = serverPlugin();
  return {
    protectables: [
      ...[volumePlugin, server].map((p) => ({ type: p.type, backupOptionsSchema: p.backupOptionsSchema, restoreTargetSchema: p.restoreTargetSchema })),
      { type: 'fileset' as const, ...fileSetSchemas },
    ],
    discover: (kind, location) => (kind === 'libvirt' ? serverPlugin(location).discover(location)
      : kind === 'files' ? discoverFileSets(location) : volumePlugin.discover(location)),
  };
}
