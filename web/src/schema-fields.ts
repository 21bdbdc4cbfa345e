/**
 * A plugin's JSON schema (its restore target) as form fields, and the form's values back as the
 * `parameters` the API takes. Only the simple shapes get their own control: string, number or integer,
 * boolean, and enum; anything else (arrays, objects, unions) is a JSON text field, parsed here so that a
 * typo is caught before the call. The API checks the whole against the schema again (ajv), so these
 * checks only need to catch what a person typing would get wrong.
 *
 * A field left empty is not sent: the plugin's default, or the API's own choice (a new volume's format
 * follows its name), applies. So a boolean is sent only when it differs from the schema's default.
 */

type Scalar = string | number | boolean;

interface Common {
  name: string;
  label: string;
  description: string | undefined;
  required: boolean;
}

export type Field =
  | (Common & { kind: 'string' })
  | (Common & { kind: 'number'; integer: boolean; minimum: number | undefined; maximum: number | undefined })
  | (Common & { kind: 'boolean'; default: boolean })
  | (Common & { kind: 'enum'; options: Scalar[]; default: Scalar | undefined })
  | (Common & { kind: 'json'; type: string | undefined });

/** What the form holds: text for every field but a boolean's checkbox. */
export type FormValues = Record<string, string | boolean>;

/** The fields of an object schema's properties, leaving out `omit` (those the caller decides, such as a target's path). */
export function fieldsOf(schema: Record<string, unknown>, omit: readonly string[] = []): Field[] {
  const properties = isObject(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required : [];
  return Object.entries(properties)
    .filter(([name]) => !omit.includes(name))
    .map(([name, p]) => fieldOf(name, isObject(p) ? p : {}, required.includes(name)));
}

function fieldOf(name: string, p: Record<string, unknown>, required: boolean): Field {
  const common = {
    name,
    label: typeof p.title === 'string' ? p.title : name.charAt(0).toUpperCase() + name.slice(1).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase(),
    description: typeof p.description === 'string' ? p.description : undefined,
    required,
  };
  if (Array.isArray(p.enum) && p.enum.length > 0 && p.enum.every(isScalar)) {
    return { ...common, kind: 'enum', options: p.enum, default: isScalar(p.default) ? p.default : undefined };
  }
  if (p.type === 'string') return { ...common, kind: 'string' };
  if (p.type === 'number' || p.type === 'integer') {
    return { ...common, kind: 'number', integer: p.type === 'integer', minimum: numberOr(p.minimum), maximum: numberOr(p.maximum) };
  }
  if (p.type === 'boolean') return { ...common, kind: 'boolean', default: p.default === true };
  return { ...common, kind: 'json', type: typeof p.type === 'string' ? p.type : undefined };
}

/** The form's starting values: empty, and each checkbox at the schema's default. */
export function initialValues(fields: Field[]): FormValues {
  return Object.fromEntries(fields.map((f) => [f.name, f.kind === 'boolean' ? f.default : '']));
}

/** The value of an enum option in a <select>: JSON, so that 1, "1" and true stay apart. */
export const optionValue = (option: Scalar): string => JSON.stringify(option);

/** The parameters to send, or why a field's value will not do (by field name). */
export function parametersOf(fields: Field[], values: FormValues): { parameters: Record<string, unknown>; errors: Record<string, string> } {
  const parameters: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const f of fields) {
    const raw = values[f.name];
    if (f.kind === 'boolean') {
      if (raw === true !== f.default) parameters[f.name] = raw === true;
      continue;
    }
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (text === '') {
      if (f.required) errors[f.name] = 'Required.';
      continue;
    }
    const parsed = parse(f, text);
    if ('error' in parsed) errors[f.name] = parsed.error;
    else parameters[f.name] = parsed.value;
  }
  return { parameters, errors };
}

function parse(f: Field, text: string): { value: unknown } | { error: string } {
  switch (f.kind) {
    case 'string':
      return { value: text };
    case 'enum': {
      const option = f.options.find((o) => optionValue(o) === text);
      return option === undefined ? { error: 'Choose one of the options.' } : { value: option };
    }
    case 'number': {
      const n = Number(text);
      if (!Number.isFinite(n)) return { error: 'A number.' };
      if (f.integer && !Number.isInteger(n)) return { error: 'A whole number.' };
      if (f.minimum !== undefined && n < f.minimum) return { error: `At least ${f.minimum}.` };
      if (f.maximum !== undefined && n > f.maximum) return { error: `At most ${f.maximum}.` };
      return { value: n };
    }
    case 'json': {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return { error: 'Not valid JSON.' };
      }
      if (f.type === 'array' && !Array.isArray(value)) return { error: 'A JSON array, such as ["a", "b"].' };
      if (f.type === 'object' && !isObject(value)) return { error: 'A JSON object, such as {"key": "value"}.' };
      return { value };
    }
    case 'boolean':
      return { value: text === 'true' };
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isScalar(v: unknown): v is Scalar {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function numberOr(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}
