/** The stock template sets `publish --stock-templates` adds (templates/stock.yaml) and staging them beside the user's own. */
import {cp, mkdir, readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {parse as parseYaml} from 'yaml';
import type {ImageMetadata, TemplateEntry} from './metadata.js';

/** The top-level templates/ directory of the img package (stock templates). */
export const STOCK_TEMPLATES_DIR = fileURLToPath(new URL('../../../templates/', import.meta.url));

interface StockSet {
  templates: Record<string, TemplateEntry>;
}

export async function stockTemplateSets(): Promise<Record<string, StockSet>> {
  return parseYaml(await readFile(join(STOCK_TEMPLATES_DIR, 'stock.yaml'), 'utf8')) as Record<string, StockSet>;
}

/** The directory that becomes templates/: the user's, plus the stock files asked for. */
export async function stageTemplates(
  workDir: string,
  stock: string[] | undefined,
  templates: string | undefined,
  metadata: ImageMetadata,
): Promise<string | undefined> {
  if (!stock || stock.length === 0) return templates;
  const stage = join(workDir, 'templates-stage');
  await mkdir(stage);
  const sets = await stockTemplateSets();
  for (const name of stock) {
    for (const entry of Object.values(sets[name]?.templates ?? {})) {
      const used = Object.values(metadata.templates).some((e) => e?.template === entry.template);
      if (used) await cp(join(STOCK_TEMPLATES_DIR, entry.template), join(stage, entry.template), {preserveTimestamps: true});
    }
  }
  if (templates) await cp(templates, stage, {recursive: true, preserveTimestamps: true, force: true});
  return stage;
}
