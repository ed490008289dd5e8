import { z } from "zod";

/**
 * The bindings page's form, parsed without failing: whatever arrives is kept
 * (cut to a sane length) so it can be shown again with the problems.
 */
const text = (max: number) => z.unknown().transform((value) => (typeof value === "string" ? value.slice(0, max) : ""));

const bindingForm = z.object({
  intent: z.unknown().transform((value) => (value === "add" || value === "rename" || value === "remove" ? value : null)),
  kind: text(40),
  value: text(60),
  label: text(120),
  bindingId: text(40),
});

export type BindingForm = z.infer<typeof bindingForm>;

export function parseBindingForm(form: FormData): BindingForm {
  return bindingForm.parse(Object.fromEntries(["intent", "kind", "value", "label", "bindingId"].map((name) => [name, form.get(name)])));
}
