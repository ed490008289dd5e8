// pdfkit 0.20 reads these options for tagged PDFs, but @types/pdfkit 0.17
// does not declare them yet: a structure element's layout box and table
// header scope, and the structure element that owns an annotation.
declare namespace PDFKit {
  namespace Mixins {
    interface StructureElementOptions {
      bbox?: [number, number, number, number];
      placement?: "Block" | "Inline";
      scope?: "Row" | "Column" | "Both";
    }
    interface AnnotationOption {
      structParent?: PDFStructureElement;
    }
  }
}
