/**
 * Every text file of the shared datasets, read once per test process: the oracle and scanner tests
 * run over all of them line by line.
 */

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { sharedDataPath } from "./oracle.ts";

export interface DataFile {
  name: string;
  text: string;
}

export async function sharedDataFiles(): Promise<DataFile[]> {
  const root = sharedDataPath();
  const files: DataFile[] = [];
  for (const dir of readdirSync(root, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const name of readdirSync(join(root, dir.name))) {
      if (name === "README.md") continue;
      files.push({ name: `${dir.name}/${name}`, text: await Bun.file(join(root, dir.name, name)).text() });
    }
  }
  if (files.length === 0) throw new Error(`expected data files under ${root}, found none`);
  return files;
}
