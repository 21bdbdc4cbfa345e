/**
 * The controls for a plugin schema's fields (see schema-fields.ts): each labelled, with the schema's
 * description as its help and its error beside it, so that the form reads the same for any plugin.
 */
import { useId } from 'react';
import { optionValue, type Field, type FormValues } from './schema-fields.ts';

interface Props {
  fields: Field[];
  values: FormValues;
  errors: Record<string, string>;
  onChange: (name: string, value: string | boolean) => void;
}

export function OptionsForm({ fields, values, errors, onChange }: Props) {
  if (fields.length === 0) return <p className="muted">This resource type has no options to set.</p>;
  return <div className="options">{fields.map((f) => <FieldControl key={f.name} field={f} value={values[f.name]} error={errors[f.name]} onChange={onChange} />)}</div>;
}

function FieldControl({ field: f, value, error, onChange }: { field: Field; value: string | boolean | undefined; error: string | undefined; onChange: Props['onChange'] }) {
  const id = useId();
  const help = f.description || error ? `${id}-help` : undefined;
  const common = { id, 'aria-describedby': help, 'aria-invalid': error ? true : undefined, required: f.required };
  const text = typeof value === 'string' ? value : '';
  let control;
  if (f.kind === 'boolean') {
    control = <input type="checkbox" {...common} checked={value === true} onChange={(e) => onChange(f.name, e.target.checked)} />;
  } else if (f.kind === 'enum') {
    control = (
      <select {...common} value={text} onChange={(e) => onChange(f.name, e.target.value)}>
        <option value="">{f.default === undefined ? 'Not set' : `Default (${String(f.default)})`}</option>
        {f.options.map((o) => <option key={optionValue(o)} value={optionValue(o)}>{String(o)}</option>)}
      </select>
    );
  } else if (f.kind === 'json') {
    control = <textarea {...common} className="mono" rows={3} spellCheck={false} value={text} placeholder={f.type === 'array' ? '["…"]' : 'JSON'} onChange={(e) => onChange(f.name, e.target.value)} />;
  } else {
    control = <input {...common} type={f.kind === 'number' ? 'number' : 'text'} inputMode={f.kind === 'number' ? 'decimal' : undefined} value={text} onChange={(e) => onChange(f.name, e.target.value)} />;
  }
  return (
    <div className={`option option-${f.kind}`}>
      <label htmlFor={id}>{f.label}{f.required ? ' (required)' : ''}{f.kind === 'json' ? ' (JSON)' : ''}</label>
      {control}
      {help && (
        <p id={help} className="small">
          {f.description && <span className="muted">{f.description}</span>}
          {error && <span className="error-text"> {error}</span>}
        </p>
      )}
    </div>
  );
}
