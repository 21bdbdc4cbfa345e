/**
 * Reading and rewriting libvirt domain XML. The document is kept as parsed, in order, so a rewritten
 * definition differs from the saved one only where a restore needs it to (name, identity, disk paths).
 */
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { CairnError } from '../../core/errors.ts';

/** An element: `{ [tag]: children, ':@'?: attributes }`; text is `{ '#text': string }`. */
type XmlNode = Record<string, unknown>;

const OPTIONS = {
  preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, parseAttributeValue: false,
  trimValues: false, commentPropName: '#comment',
} as const;

export interface DomainDisk {
  /** The disk's name in the domain (target dev): vda, sdb, ... */
  target: string;
  /** disk, cdrom, floppy, lun */
  device: string;
  /** file, block, network, volume, ... */
  type: string;
  /** The file or device it reads; undefined for other kinds of source (network) or an empty drive. */
  path: string | undefined;
  /** The image format (driver type): qcow2, raw, ... */
  format: string;
  readonly: boolean;
}

export interface DomainDefinition {
  name: string;
  uuid: string;
  disks: DomainDisk[];
}

function tagOf(node: XmlNode): string | undefined {
  return Object.keys(node).find((k) => k !== ':@');
}

function kids(node: XmlNode): XmlNode[] {
  const tag = tagOf(node);
  return tag && Array.isArray(node[tag]) ? node[tag] as XmlNode[] : [];
}

function attrs(node: XmlNode): Record<string, string> {
  return (node[':@'] ?? {}) as Record<string, string>;
}

function child(node: XmlNode, tag: string): XmlNode | undefined {
  return kids(node).find((k) => tagOf(k) === tag);
}

function text(node: XmlNode | undefined): string {
  return node ? kids(node).map((k) => (typeof k['#text'] === 'string' ? k['#text'] : '')).join('').trim() : '';
}

function parse(xml: string): { doc: XmlNode[]; domain: XmlNode } {
  const { doc } = parseAny(xml, 'bad-input', 'the domain definition is not valid XML');
  const domain = doc.find((n) => tagOf(n) === 'domain');
  if (!domain) throw new CairnError('bad-input', 'the definition has no <domain> element');
  return { doc, domain };
}

function disksOf(domain: XmlNode): XmlNode[] {
  const devices = child(domain, 'devices');
  return devices ? kids(devices).filter((k) => tagOf(k) === 'disk') : [];
}

function readDisk(disk: XmlNode): DomainDisk {
  const a = attrs(disk);
  const source = child(disk, 'source');
  const s = source ? attrs(source) : {};
  return {
    target: attrs(child(disk, 'target') ?? {}).dev ?? '',
    device: a.device ?? 'disk',
    type: a.type ?? 'file',
    path: s.file ?? s.dev,
    format: attrs(child(disk, 'driver') ?? {}).type ?? 'raw',
    readonly: child(disk, 'readonly') !== undefined,
  };
}

export function parseDomain(xml: string): DomainDefinition {
  const { domain } = parse(xml);
  return { name: text(child(domain, 'name')), uuid: text(child(domain, 'uuid')), disks: disksOf(domain).map(readDisk) };
}

export interface DomainRewrite {
  /** A new domain: this name, and no UUID, MAC addresses or NVRAM path of the original (libvirt makes new ones). */
  newName?: string;
  /** Disks (by target) that now live in another file, with its format. */
  disks: Map<string, { path: string; format: string }>;
}

export function rewriteDomain(xml: string, change: DomainRewrite): string {
  const { doc, domain } = parse(xml);
  const top = kids(domain);
  if (change.newName !== undefined) {
    const name = child(domain, 'name');
    if (name) name.name = [{ '#text': change.newName }];
    removeWhere(top, (n) => tagOf(n) === 'uuid');
    const os = child(domain, 'os');
    if (os) removeWhere(kids(os), (n) => tagOf(n) === 'nvram'); // a per-domain copy of the firmware variables
    const devices = child(domain, 'devices');
    for (const iface of devices ? kids(devices).filter((k) => tagOf(k) === 'interface') : []) removeWhere(kids(iface), (n) => tagOf(n) === 'mac');
  }
  for (const disk of disksOf(domain)) {
    const moved = change.disks.get(readDisk(disk).target);
    if (!moved) continue;
    disk[':@'] = { ...attrs(disk), type: 'file' };
    const items = kids(disk);
    const source = items.find((k) => tagOf(k) === 'source');
    // A disk restored to a file: the source names the file, whatever it named before (a device).
    if (source) source[':@'] = { file: moved.path };
    else items.unshift({ source: [], ':@': { file: moved.path } });
    const driver = items.find((k) => tagOf(k) === 'driver');
    if (driver) driver[':@'] = { ...attrs(driver), type: moved.format };
    removeWhere(items, (n) => tagOf(n) === 'backingStore'); // the restored image stands alone
  }
  return new XMLBuilder({ ...OPTIONS, format: false, suppressEmptyNode: true }).build(doc);
}

function removeWhere(list: XmlNode[], drop: (n: XmlNode) => boolean): void {
  for (let i = list.length - 1; i >= 0; i--) if (drop(list[i]!)) list.splice(i, 1);
}

/** The disks of a checkpoint definition (virsh checkpoint-dumpxml) that have a bitmap. */
export function checkpointBitmapDisks(xml: string): string[] {
  const { doc } = parseAny(xml);
  const cp = doc.find((n) => tagOf(n) === 'domaincheckpoint');
  const disks = cp ? child(cp, 'disks') : undefined;
  return (disks ? kids(disks) : []).filter((d) => tagOf(d) === 'disk' && attrs(d).checkpoint === 'bitmap').map((d) => attrs(d).name ?? '');
}

/** The export of each disk in a running pull-mode backup (virsh backup-dumpxml): its name and, when incremental, its bitmap; and the socket. */
export function backupExports(xml: string): { socket: string | undefined; disks: Map<string, { exportName: string; bitmap: string | undefined }> } {
  const { doc } = parseAny(xml);
  const backup = doc.find((n) => tagOf(n) === 'domainbackup');
  const server = backup ? child(backup, 'server') : undefined;
  const list = backup ? child(backup, 'disks') : undefined;
  const disks = new Map<string, { exportName: string; bitmap: string | undefined }>();
  for (const d of list ? kids(list) : []) {
    const a = attrs(d);
    if (tagOf(d) !== 'disk' || a.backup !== 'yes' || !a.name) continue;
    disks.set(a.name, { exportName: a.exportname ?? a.name, bitmap: a.exportbitmap });
  }
  return { socket: server ? attrs(server).socket : undefined, disks };
}

/** Parses in document order; a failure is the caller's kind of error (bad input, or a source that misbehaves). */
function parseAny(xml: string, code: 'bad-input' | 'source' = 'source', what = 'libvirt answered with XML Cairn cannot read'): { doc: XmlNode[] } {
  try {
    return { doc: new XMLParser(OPTIONS).parse(xml, true) as XmlNode[] };
  } catch (err) {
    throw new CairnError(code, `${what}: ${(err as Error).message}`);
  }
}

/** Text for an XML attribute value or element content. */
export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
