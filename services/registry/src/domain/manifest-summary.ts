// What the registry.manifest.pushed event tells the repository view beyond the manifest itself:
// an image's total size, an index's platforms. Computed from the parsed manifest alone (no I/O).
import type { ParsedManifest, Platform } from '@docksphere/oci';

export interface ManifestSummary {
  /** Manifest + config + layers, for an image; an index's children are not read, so left out there. */
  totalSize?: number;
  /** "os/architecture[/variant]" of an index's children, in order, without repeats. */
  platforms?: string[];
}

export function platformName(p: Platform): string {
  return [p.os, p.architecture, ...(p.variant ? [p.variant] : [])].join('/');
}

export function summarizeManifest(m: ParsedManifest, manifestSize: number): ManifestSummary {
  if (m.manifests.length > 0 || !m.config) {
    const platforms = [...new Set(m.manifests.flatMap((d) => (d.platform ? [platformName(d.platform)] : [])))];
    return platforms.length > 0 ? { platforms } : {};
  }
  return { totalSize: manifestSize + m.config.size + m.layers.reduce((sum, l) => sum + l.size, 0) };
}
