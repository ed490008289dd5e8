import { existsSync, readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The layers of app/ (docs/architecture.md), held against the code: every
 * import, type-only ones too, points down. Features of the same rank do not
 * import each other; production code never imports the demo wing; only the
 * composition root sees everything.
 */

type Layer = { name: string; rank: number };

const LAYERS: Array<{ match: RegExp; layer: Layer }> = [
  { match: /^app\/domain\//, layer: { name: "domain", rank: 0 } },
  { match: /^db\//, layer: { name: "db", rank: 1 } },
  {
    match: /^app\/(lib\/|locales\/|assets\/|styles\/|i18n\.ts$|site-map\.ts$|route-handle\.ts$|route-headers\.ts$)/,
    layer: { name: "shared", rank: 1 },
  },
  { match: /^app\/base\//, layer: { name: "base", rank: 2 } },
  { match: /^app\/mail\//, layer: { name: "mail", rank: 2.5 } },
  { match: /^app\/bills\//, layer: { name: "bills", rank: 3 } },
  { match: /^app\/agencies\//, layer: { name: "agencies", rank: 3.5 } },
  { match: /^app\/cases\//, layer: { name: "cases", rank: 3.5 } },
  { match: /^app\/lookup\//, layer: { name: "lookup", rank: 4 } },
  { match: /^app\/feedback\//, layer: { name: "feedback", rank: 4 } },
  { match: /^app\/payments\//, layer: { name: "payments", rank: 4 } },
  { match: /^app\/money\//, layer: { name: "money", rank: 4.5 } },
  { match: /^app\/members\//, layer: { name: "members", rank: 5 } },
  { match: /^app\/statistics\//, layer: { name: "statistics", rank: 5 } },
  { match: /^app\/back-office\//, layer: { name: "back office", rank: 6 } },
  { match: /^app\/agency-api\//, layer: { name: "agency API", rank: 6 } },
  { match: /^app\/(scanner|components)\//, layer: { name: "ui", rank: 7 } },
  { match: /^app\/(routes\/|root\.tsx$|entry\.client\.tsx$)/, layer: { name: "pages", rank: 8 } },
  { match: /^app\/demo\//, layer: { name: "demo", rank: 9 } },
  { match: /^app\/(composition\/|entry\.server\.tsx$)/, layer: { name: "composition", rank: 10 } },
];

function layerOf(file: string): Layer {
  const found = LAYERS.find((entry) => entry.match.test(file));
  if (!found) throw new Error(`${file} belongs to no layer: add it to the table above and to docs/architecture.md`);
  return found.layer;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter(
      (entry) => entry.isFile() && /\.(ts|tsx)$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts"),
    )
    .map((entry) => path.relative(process.cwd(), path.join(entry.parentPath, entry.name)));
}

/** The file an import names (the modules are written without their extension). */
function resolved(target: string): string {
  return (
    [target, `${target}.ts`, `${target}.tsx`, `${target}/index.ts`].find(
      (candidate) => existsSync(candidate) && /\.(ts|tsx|json)$/.test(candidate),
    ) ?? target
  );
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^"';]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g),
  ].map((m) => m[1] ?? m[2]!);
  return specifiers.flatMap((specifier) => {
    if (specifier.startsWith("~/")) return [resolved(`app/${specifier.slice(2)}`)];
    if (specifier.startsWith("#db/")) return [resolved(`db/${specifier.slice(4)}`)];
    if (specifier.startsWith(".")) return [resolved(path.normalize(path.join(path.dirname(file), specifier)))];
    return [];
  });
}

/** Files of the portal that may be run in production, and what each imports. */
const files = [...(await sourceFiles("app")), "db/schema.ts"];
const arrows = files.flatMap((file) => importsOf(file).map((target) => ({ from: file, to: target })));

describe("the layers of the code", () => {
  it("puts every file of app/ in a layer", () => {
    expect(files.filter((file) => !LAYERS.some((entry) => entry.match.test(file)))).toEqual([]);
  });

  it("has every import point down, or stay inside its own folder", () => {
    const upward = arrows.filter(({ from, to }) => {
      const a = layerOf(from);
      const b = layerOf(to);
      return a.name !== b.name && b.rank >= a.rank;
    });
    expect(upward.map(({ from, to }) => `${from} → ${to}`)).toEqual([]);
  });

  it("keeps the demo wing out of everything but the composition root", () => {
    const intoDemo = arrows.filter(({ from, to }) => layerOf(to).name === "demo" && !["demo", "composition"].includes(layerOf(from).name));
    expect(intoDemo.map(({ from, to }) => `${from} → ${to}`)).toEqual([]);
  });

  it("keeps the domain free of frameworks and the server", () => {
    const domain = files.filter((file) => layerOf(file).name === "domain");
    const outside = domain.flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/from\s*["']([^"'.~#][^"']*)["']/g)]
        .map((m) => `${file} → ${m[1]}`)
        .filter((line) => !line.endsWith("→ node:crypto")),
    );
    expect(outside).toEqual([]);
  });

  // The browser's bundle gets an empty module for every *.server file: a value a component takes from one is
  // undefined in the browser, and the page breaks once it hydrates (the audit page did). Types are fine.
  it("keeps values of *.server modules out of React components", () => {
    const componentFiles = files.filter((file) => file.endsWith(".tsx"));
    const misuses = componentFiles.flatMap((file) => {
      const text = readFileSync(file, "utf8");
      const serverValues = [...text.matchAll(/import\s*\{([^}]*)\}\s*from\s*["']([^"']+\.server)["']/g)].flatMap((m) =>
        m[1]!
          .split(",")
          .map((name) => name.trim())
          .filter((name) => name && !name.startsWith("type "))
          .map((name) => name.split(/\s+as\s+/).at(-1)!),
      );
      if (serverValues.length === 0) return [];
      // Components: functions named with a capital; their bodies without string literals (translation keys name things too).
      const components = [...text.matchAll(/\n(?:export\s+(?:default\s+)?)?function [A-Z]\w*\([\s\S]*?\n\}\n/g)]
        .map((m) => m[0].replace(/(["'`])(?:\\.|(?!\1)[^\\\n])*\1/g, '""'))
        .join("\n");
      return serverValues.filter((name) => new RegExp(`(?<![.\\w])${name}\\b`).test(components)).map((name) => `${file}: ${name}`);
    });
    expect(misuses).toEqual([]);
  });
});
