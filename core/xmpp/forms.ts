// XEP-0004 data forms <-> the DataForm shape modules use.
// https://xmpp.org/extensions/xep-0004.html#protocol-formtypes
import xml, { type Element } from "@xmpp/xml";
import type { DataForm, FormField } from "../types.js";

export const NS_DATA = "jabber:x:data";

const FORM_TYPES: readonly DataForm["type"][] = ["form", "submit", "result", "cancel"];
const FIELD_TYPES: readonly NonNullable<FormField["type"]>[] = [
  "boolean", "fixed", "hidden", "jid-multi", "jid-single", "list-multi", "list-single", "text-multi", "text-private", "text-single",
];
const MULTI = new Set(["jid-multi", "list-multi", "text-multi"]);

/** Renders a DataForm as <x xmlns="jabber:x:data"/> (XEP-0004 §3.1, §3.2). */
export function formToXml(form: DataForm): Element {
  const x = xml("x", { xmlns: NS_DATA, type: form.type });
  if (form.title !== undefined) x.c("title").t(form.title);
  if (form.instructions !== undefined) {
    // One <instructions/> per line, as §3.1 describes multi-line instructions.
    for (const line of form.instructions.split("\n")) x.c("instructions").t(line);
  }
  for (const f of form.fields) x.cnode(fieldToXml(f, form.type));
  return x;
}

function fieldToXml(f: FormField, formType: DataForm["type"]): Element {
  const attrs: Record<string, string> = { var: f.var };
  // A submitted form carries values only (§3.2); labels and types belong to forms and results.
  if (formType !== "submit") {
    if (f.type !== undefined) attrs.type = f.type;
    if (f.label !== undefined) attrs.label = f.label;
  }
  const field = xml("field", attrs);
  if (formType !== "submit") {
    if (f.desc !== undefined) field.c("desc").t(f.desc);
    if (f.required) field.c("required");
  }
  for (const v of valuesOf(f)) field.c("value").t(v);
  if (formType === "form") {
    for (const o of f.options ?? []) {
      const opt = xml("option", o.label === undefined ? {} : { label: o.label });
      opt.c("value").t(o.value);
      field.cnode(opt);
    }
  }
  return field;
}

function valuesOf(f: FormField): string[] {
  if (f.value === undefined) return [];
  const list = Array.isArray(f.value) ? f.value : [f.value];
  // text-multi values are one line each (§3.3).
  return f.type === "text-multi" ? list.flatMap((v) => v.split("\n")) : list;
}

/** Parses <x xmlns="jabber:x:data"/>; throws FormError naming the fault for malformed input. */
export function xmlToForm(x: Element): DataForm {
  const type = x.attrs.type as DataForm["type"];
  if (!FORM_TYPES.includes(type)) throw new FormError(`data form type must be one of ${FORM_TYPES.join(", ")}, got ${JSON.stringify(x.attrs.type ?? "")}`);
  const form: DataForm = { type, fields: [] };
  const title = x.getChildText("title");
  if (title !== null) form.title = title;
  const instructions = x.getChildren("instructions").map((i) => i.text());
  if (instructions.length) form.instructions = instructions.join("\n");
  for (const el of x.getChildren("field")) form.fields.push(xmlToField(el));
  return form;
}

function xmlToField(el: Element): FormField {
  const name = el.attrs.var;
  const rawType = el.attrs.type;
  if (rawType !== undefined && !FIELD_TYPES.includes(rawType)) throw new FormError(`field ${JSON.stringify(name ?? "")}: unknown type ${JSON.stringify(rawType)}`);
  const type = rawType as FormField["type"];
  if (typeof name !== "string" || name === "") {
    if (type === "fixed") return { var: "", type, value: el.getChildren("value").map((v) => v.text()) };
    throw new FormError("a form field has no var");
  }
  const field: FormField = { var: name };
  if (type !== undefined) field.type = type;
  if (el.attrs.label !== undefined) field.label = String(el.attrs.label);
  const desc = el.getChildText("desc");
  if (desc !== null) field.desc = desc;
  if (el.getChild("required")) field.required = true;
  const values = el.getChildren("value").map((v) => v.text());
  if (values.length === 1 && !MULTI.has(type ?? "")) field.value = values[0]!;
  else if (values.length > 0) field.value = values;
  const options = el.getChildren("option").map((o) => {
    const label = o.attrs.label;
    return { ...(label === undefined ? {} : { label: String(label) }), value: o.getChildText("value") ?? "" };
  });
  if (options.length) field.options = options;
  return field;
}

/** The submitted values by var: one string, or an array for multi fields / repeated values. */
export function formValues(form: DataForm): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const f of form.fields) {
    if (!f.var || f.value === undefined) continue;
    if (MULTI.has(f.type ?? "") && !Array.isArray(f.value)) out[f.var] = [f.value];
    else out[f.var] = f.value;
  }
  return out;
}

/** Reads a boolean field value as XEP-0004 §3.3 defines it ("1"/"true"). */
export function formBoolean(v: string | string[] | undefined): boolean {
  const one = Array.isArray(v) ? v[0] : v;
  return one === "1" || one === "true";
}

export class FormError extends Error {
  override readonly name = "FormError";
}
