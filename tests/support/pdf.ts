import { createCanvas } from "@napi-rs/canvas";
import {
  PDFArray,
  PDFDict,
  PDFDocument,
  PDFHexString,
  PDFName,
  PDFNumber,
  PDFRawStream,
  PDFRef,
  PDFString,
  decodePDFRawStream,
  type PDFObject,
} from "pdf-lib";
import { OPS, getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import type { RgbaImage } from "./images";

/**
 * Reading the portal's PDFs back as a screen reader or a checker would: the
 * catalogue entries of a tagged PDF (pdf-lib, which opens the raw objects),
 * the structure tree with the text each element marks (pdf.js, which
 * decodes the text of each marked-content sequence), and pages rendered to
 * pixels (pdf.js on a Node canvas).
 */

export interface StructNode {
  role: string;
  alt?: string;
  lang?: string;
  /** The Table attribute's Scope, on header cells. */
  scope?: string;
  /** The text of the marked content under this element and its descendants, in order. */
  text: string;
  children: StructNode[];
  /** Annotations (links) this element owns. */
  annotations: number;
}

export interface PdfStructure {
  /** From the header, e.g. "1.7". */
  version: string;
  lang?: string;
  marked: boolean;
  displayDocTitle: boolean;
  /** The Info dictionary's title. */
  title?: string;
  xmp: string;
  /** The children of StructTreeRoot. */
  roots: StructNode[];
  /** Link annotations that no structure element owns, and that have no Contents. */
  untaggedLinks: number;
  linksWithoutContents: number;
  /** Drawing operators outside any marked content (neither tagged nor an artifact), per page. */
  unmarkedDrawing: number[];
}

function text(object: PDFObject | undefined): string | undefined {
  return object instanceof PDFString || object instanceof PDFHexString ? object.decodeText() : undefined;
}

function nameOf(object: PDFObject | undefined): string | undefined {
  return object instanceof PDFName ? object.decodeText() : undefined;
}

/** Text of every marked-content sequence with an MCID, by "page object number/MCID". */
async function markedText(pdf: Buffer): Promise<{ texts: Map<string, string>; unmarkedDrawing: number[] }> {
  const doc = await getDocument({ data: new Uint8Array(pdf), useSystemFonts: false }).promise;
  const texts = new Map<string, string>();
  const unmarkedDrawing: number[] = [];
  const drawing = new Set<number>([
    OPS.showText,
    OPS.showSpacedText,
    OPS.nextLineShowText,
    OPS.nextLineSetSpacingShowText,
    OPS.paintImageXObject,
    OPS.paintInlineImageXObject,
    OPS.paintImageMaskXObject,
    OPS.constructPath,
    OPS.fill,
    OPS.eoFill,
    OPS.stroke,
    OPS.fillStroke,
    OPS.eoFillStroke,
    OPS.shadingFill,
  ]);
  try {
    for (let number = 1; number <= doc.numPages; number++) {
      const page = await doc.getPage(number);
      const stack: Array<string | null> = [];
      for (const item of (await page.getTextContent({ includeMarkedContent: true })).items) {
        if ("type" in item) {
          if (item.type === "beginMarkedContentProps" || item.type === "beginMarkedContent") {
            const match = /^p(\d+)R_mc(\d+)$/.exec(item.id ?? "");
            stack.push(match ? `${match[1]}/${match[2]}` : null);
          } else if (item.type === "endMarkedContent") stack.pop();
          continue;
        }
        const key = stack.findLast((entry) => entry !== null);
        if (key) texts.set(key, (texts.get(key) ?? "") + item.str);
      }
      const operators = await page.getOperatorList();
      let depth = 0;
      let outside = 0;
      for (const fn of operators.fnArray) {
        if (fn === OPS.beginMarkedContent || fn === OPS.beginMarkedContentProps) depth++;
        else if (fn === OPS.endMarkedContent) depth--;
        else if (depth === 0 && drawing.has(fn)) outside++;
      }
      unmarkedDrawing.push(outside);
    }
  } finally {
    await doc.destroy();
  }
  return { texts, unmarkedDrawing };
}

export async function readPdfStructure(pdf: Buffer): Promise<PdfStructure> {
  const doc = await PDFDocument.load(new Uint8Array(pdf), { updateMetadata: false });
  const { context, catalog } = doc;
  const lookup = (object: PDFObject | undefined): PDFObject | undefined => (object instanceof PDFRef ? context.lookup(object) : object);
  const dict = (object: PDFObject | undefined) => {
    const found = lookup(object);
    return found instanceof PDFDict ? found : undefined;
  };
  const { texts, unmarkedDrawing } = await markedText(pdf);
  const ownedAnnotations = new Set<PDFObject>();

  function walk(element: PDFDict, page: PDFRef | undefined): StructNode {
    const pg = element.get(PDFName.of("Pg"));
    const pageRef = pg instanceof PDFRef ? pg : page;
    const node: StructNode = {
      role: nameOf(element.get(PDFName.of("S"))) ?? "?",
      alt: text(lookup(element.get(PDFName.of("Alt")))),
      lang: text(lookup(element.get(PDFName.of("Lang")))),
      text: "",
      children: [],
      annotations: 0,
    };
    const attributes = lookup(element.get(PDFName.of("A")));
    for (const attribute of attributes instanceof PDFArray ? attributes.asArray() : [attributes]) {
      const scope = nameOf(dict(attribute)?.get(PDFName.of("Scope")));
      if (scope) node.scope = scope;
    }
    const kids = lookup(element.get(PDFName.of("K")));
    for (const kid of kids instanceof PDFArray ? kids.asArray() : kids ? [kids] : []) {
      const resolved = lookup(kid);
      if (resolved instanceof PDFNumber) {
        node.text += texts.get(`${pageRef?.objectNumber}/${resolved.asNumber()}`) ?? "";
      } else if (resolved instanceof PDFDict) {
        const type = nameOf(resolved.get(PDFName.of("Type")));
        if (type === "MCR") {
          const mcrPage = resolved.get(PDFName.of("Pg"));
          const mcid = resolved.get(PDFName.of("MCID"));
          const onPage = mcrPage instanceof PDFRef ? mcrPage : pageRef;
          if (mcid instanceof PDFNumber) node.text += texts.get(`${onPage?.objectNumber}/${mcid.asNumber()}`) ?? "";
        } else if (type === "OBJR") {
          node.annotations++;
          const annotation = resolved.get(PDFName.of("Obj"));
          if (annotation) ownedAnnotations.add(annotation);
        } else {
          const child = walk(resolved, pageRef);
          node.children.push(child);
          node.text += child.text;
        }
      }
    }
    return node;
  }

  const treeRoot = dict(catalog.get(PDFName.of("StructTreeRoot")));
  const rootKids = lookup(treeRoot?.get(PDFName.of("K")));
  const roots = (rootKids instanceof PDFArray ? rootKids.asArray() : rootKids ? [rootKids] : []).flatMap((kid) => {
    const element = dict(kid);
    return element ? [walk(element, undefined)] : [];
  });

  let untaggedLinks = 0;
  let linksWithoutContents = 0;
  for (const page of doc.getPages()) {
    const annots = lookup(page.node.get(PDFName.of("Annots")));
    for (const ref of annots instanceof PDFArray ? annots.asArray() : []) {
      const annotation = dict(ref);
      if (nameOf(annotation?.get(PDFName.of("Subtype"))) !== "Link") continue;
      if (!ownedAnnotations.has(ref)) untaggedLinks++;
      if (!text(lookup(annotation?.get(PDFName.of("Contents"))))) linksWithoutContents++;
    }
  }

  const metadata = lookup(catalog.get(PDFName.of("Metadata")));
  const xmp = metadata instanceof PDFRawStream ? new TextDecoder().decode(decodePDFRawStream(metadata).decode()) : "";
  const infoRef = context.trailerInfo.Info;
  const info = dict(infoRef);
  return {
    version: /^%PDF-(\d\.\d)/.exec(pdf.subarray(0, 16).toString("latin1"))?.[1] ?? "?",
    lang: text(lookup(catalog.get(PDFName.of("Lang")))),
    marked:
      dict(catalog.get(PDFName.of("MarkInfo")))
        ?.get(PDFName.of("Marked"))
        ?.toString() === "true",
    displayDocTitle:
      dict(catalog.get(PDFName.of("ViewerPreferences")))
        ?.get(PDFName.of("DisplayDocTitle"))
        ?.toString() === "true",
    title: text(lookup(info?.get(PDFName.of("Title")))),
    xmp,
    roots,
    untaggedLinks,
    linksWithoutContents,
    unmarkedDrawing,
  };
}

/** Every node of the trees, depth first (document order). */
export function allNodes(roots: StructNode[]): StructNode[] {
  return roots.flatMap((node) => [node, ...allNodes(node.children)]);
}

/** One page drawn at the given resolution, on white. */
export async function renderPdfPage(pdf: Buffer, pageNumber: number, dpi: number): Promise<RgbaImage> {
  const doc = await getDocument({ data: new Uint8Array(pdf), useSystemFonts: false }).promise;
  try {
    const page = await doc.getPage(pageNumber);
    const viewport = page.getViewport({ scale: dpi / 72 });
    const [width, height] = [Math.ceil(viewport.width), Math.ceil(viewport.height)];
    const canvas = createCanvas(width, height);
    const context = canvas.getContext("2d");
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, width, height);
    await page.render({ canvas: canvas as unknown as HTMLCanvasElement, viewport }).promise;
    return { width, height, data: context.getImageData(0, 0, width, height).data };
  } finally {
    await doc.destroy();
  }
}
